"""Tenant provisioning (platform level): a tenant, its owner and the owner's first API key."""

from __future__ import annotations

import re
import secrets as py_secrets
import uuid
from dataclasses import dataclass
from typing import Any

from core import db
from models.repositories import tenants as tenants_repo
from va_app.domain.errors import Conflict, InvalidInput
from va_app.domain.identity.api_keys import create_api_key
from va_app.domain.identity.audit import audit
from va_app.domain.identity.passwords import hash_password
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal, system_principal

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
PLAN_QUOTAS = {
    "free": {"agents": 3, "requests_per_minute": 600},
    "team": {"agents": 20, "requests_per_minute": 3000},
    "enterprise": {"agents": 500, "requests_per_minute": 20000},
}


@dataclass(frozen=True)
class ProvisionedTenant:
    tenant_id: uuid.UUID
    slug: str
    owner_user_id: uuid.UUID
    owner_email: str
    owner_temporary_password: str | None
    owner_api_key: str


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:63]
    return slug if len(slug) >= 3 else f"{slug}-tenant"


async def provision_tenant(
    actor: Principal | None,
    *,
    name: str,
    owner_email: str,
    slug: str | None = None,
    plan: str = "team",
    owner_password: str | None = None,
    feature_flags: dict[str, Any] | None = None,
) -> ProvisionedTenant:
    if actor is not None:
        actor.require(Perm.PLATFORM_ADMIN)
    slug = slug or slugify(name)
    if not SLUG.match(slug):
        raise InvalidInput("slug must be 3-63 lowercase letters, digits or dashes")
    if plan not in PLAN_QUOTAS:
        raise InvalidInput(f"plan must be one of {', '.join(PLAN_QUOTAS)}")
    email = owner_email.strip().lower()
    if "@" not in email or "." not in email.partition("@")[2]:
        raise InvalidInput("owner email is not a valid address")
    temporary = None if owner_password else py_secrets.token_urlsafe(12)
    async with db.session_scope() as session:
        if await tenants_repo.get_tenant_by_slug(session=session, slug=slug):
            raise Conflict(f"tenant slug '{slug}' is taken")
        tenant = await tenants_repo.create_tenant(
            session=session,
            slug=slug,
            name=name,
            plan=plan,
            quotas=dict(PLAN_QUOTAS[plan]),
            feature_flags=feature_flags or {},
        )
        user = await tenants_repo.get_user_by_email(session=session, email=email)
        if user is None:
            user = await tenants_repo.create_user(
                session=session, email=email, password_hash=hash_password(owner_password or temporary or "")
            )
        else:
            temporary = None  # an existing user keeps their password
        await tenants_repo.add_membership(session=session, tenant_id=tenant.id, user_id=user.id, role="owner")
        who = actor or system_principal(tenant.id, "va tenant create", "cli")
        await audit(
            session,
            who,
            "tenant.create",
            "tenant",
            tenant.id,
            after={"slug": slug, "name": name, "plan": plan, "owner": email},
            tenant_id=tenant.id,
        )
        tenant_id, user_id = tenant.id, user.id
    owner = Principal(
        tenant_id=tenant_id,
        role="owner",
        actor_type=(actor.actor_type if actor else "cli"),
        actor_id=(actor.actor_id if actor else "va tenant create"),
        label=(actor.label if actor else "va tenant create"),
    )
    key = await create_api_key(owner, name="owner key", role="owner")
    return ProvisionedTenant(tenant_id, slug, user_id, email, temporary, key.secret)


async def platform_tenants(principal: Principal) -> list[dict[str, str]]:
    """Id, slug and name of every tenant, for a platform admin's tenant picker."""
    principal.require(Perm.PLATFORM_ADMIN)
    async with db.session_scope() as session:
        return [
            {"id": str(t.id), "slug": t.slug, "name": t.name} for t in await tenants_repo.list_tenants(session=session)
        ]
