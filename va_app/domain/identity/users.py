"""Tenant members: invite, change role, remove. Roles only go as high as the actor's own."""

from __future__ import annotations

import secrets as py_secrets
import uuid
from dataclasses import dataclass
from typing import Any

from core import db
from models.repositories import members as members_repo
from models.repositories import tenants as tenants_repo
from models.tenancy import Membership, User
from va_app.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from va_app.domain.identity.audit import audit
from va_app.domain.identity.passwords import hash_password
from va_app.domain.identity.permissions import TENANT_ROLES, Perm, Role, role_at_most
from va_app.domain.identity.principal import Principal


@dataclass(frozen=True)
class Member:
    user_id: str
    email: str
    full_name: str
    role: str
    totp_enabled: bool
    is_active: bool
    joined_at: str
    last_login_at: str | None

    @classmethod
    def of(cls, membership: Membership, user: User) -> Member:
        return cls(
            user_id=str(user.id),
            email=user.email,
            full_name=user.full_name,
            role=membership.role,
            totp_enabled=user.totp_enabled,
            is_active=user.is_active,
            joined_at=membership.created_at.isoformat(),
            last_login_at=user.last_login_at.isoformat() if user.last_login_at else None,
        )


@dataclass(frozen=True)
class Invitation:
    member: Member
    temporary_password: str | None  # shown once when a new user was created


def _check_role(principal: Principal, role: str) -> None:
    if role not in TENANT_ROLES:
        raise InvalidInput(f"role must be one of {', '.join(r.value for r in TENANT_ROLES)}")
    if not principal.is_superadmin and not role_at_most(role, principal.role):
        raise PermissionDenied(f"cannot grant '{role}': higher than your role '{principal.role}'")


def _valid_email(email: str) -> str:
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 320 or " " in email:
        raise InvalidInput("email is not a valid address")
    return email


async def list_members(principal: Principal) -> list[Member]:
    principal.require(Perm.USERS_READ)
    async with db.session_scope() as session:
        rows = await members_repo.list_members(session=session, tenant_id=principal.tenant_id)
        return [Member.of(m, u) for m, u in rows]


async def invite_member(principal: Principal, *, email: str, role: str, full_name: str = "") -> Invitation:
    """Add a user to the tenant; a new user gets a temporary password to change at first login."""
    principal.require(Perm.USERS_WRITE)
    _check_role(principal, role)
    email = _valid_email(email)
    temporary: str | None = None
    async with db.session_scope() as session:
        user = await tenants_repo.get_user_by_email(session=session, email=email)
        if user is None:
            temporary = py_secrets.token_urlsafe(12)
            user = await tenants_repo.create_user(
                session=session, email=email, full_name=full_name, password_hash=hash_password(temporary)
            )
        elif await tenants_repo.get_membership(session=session, tenant_id=principal.tenant_id, user_id=user.id):
            raise Conflict(f"{email} is already a member")
        membership = await tenants_repo.add_membership(
            session=session, tenant_id=principal.tenant_id, user_id=user.id, role=role
        )
        member = Member.of(membership, user)
        await audit(session, principal, "member.invite", "user", user.id, after=_public(member))
    return Invitation(member, temporary)


async def change_role(principal: Principal, user_id: uuid.UUID, role: str) -> Member:
    principal.require(Perm.USERS_WRITE)
    _check_role(principal, role)
    async with db.session_scope() as session:
        found = await members_repo.get_member(session=session, tenant_id=principal.tenant_id, user_id=user_id)
        if found is None:
            raise NotFound("member not found")
        membership, user = found
        if not principal.is_superadmin and not role_at_most(membership.role, principal.role):
            raise PermissionDenied(f"cannot change a '{membership.role}' with role '{principal.role}'")
        if membership.role == Role.OWNER and role != Role.OWNER:
            await _keep_one_owner(session, principal.tenant_id)
        before = _public(Member.of(membership, user))
        membership.role = role
        await session.flush()
        member = Member.of(membership, user)
        await audit(session, principal, "member.change_role", "user", user.id, before=before, after=_public(member))
    return member


async def remove_member(principal: Principal, user_id: uuid.UUID) -> None:
    principal.require(Perm.USERS_WRITE)
    async with db.session_scope() as session:
        found = await members_repo.get_member(session=session, tenant_id=principal.tenant_id, user_id=user_id)
        if found is None:
            raise NotFound("member not found")
        membership, user = found
        if not principal.is_superadmin and not role_at_most(membership.role, principal.role):
            raise PermissionDenied(f"cannot remove a '{membership.role}' with role '{principal.role}'")
        if membership.role == Role.OWNER:
            await _keep_one_owner(session, principal.tenant_id)
        before = _public(Member.of(membership, user))
        await members_repo.delete_membership(session=session, tenant_id=principal.tenant_id, user_id=user_id)
        await audit(session, principal, "member.remove", "user", user.id, before=before)


async def _keep_one_owner(session: Any, tenant_id: uuid.UUID) -> None:
    if await members_repo.count_owners(session=session, tenant_id=tenant_id) <= 1:
        raise Conflict("a tenant must keep at least one owner")


def _public(member: Member) -> dict[str, Any]:
    return {"email": member.email, "role": member.role, "full_name": member.full_name}
