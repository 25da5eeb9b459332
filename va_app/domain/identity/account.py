"""The signed-in user's own account, as the console shows it: who, which tenant, is 2FA on.

The console may not read tables itself, and ``Principal`` carries ids only; this is the one
read a user may always make about themselves (no permission needed beyond being signed in).
"""

from __future__ import annotations

from dataclasses import dataclass

from core import db
from models.repositories import members as members_repo
from models.repositories import tenants as tenants_repo
from va_app.domain.errors import NotAuthenticated
from va_app.domain.identity.principal import Principal


@dataclass(frozen=True)
class Account:
    email: str
    full_name: str
    role: str
    tenant_slug: str
    tenant_name: str
    totp_enabled: bool


async def my_account(principal: Principal) -> Account:
    """The principal's user and tenant; :class:`NotAuthenticated` for API keys or removed users."""
    if principal.user_id is None:
        raise NotAuthenticated("an account belongs to a user, not an API key")
    async with db.session_scope() as session:
        user = await members_repo.get_user(session=session, user_id=principal.user_id)
        tenant = await tenants_repo.get_tenant(session=session, tenant_id=principal.tenant_id)
    if user is None:
        raise NotAuthenticated("your access was removed; please sign in again")
    return Account(
        email=user.email,
        full_name=user.full_name,
        role=principal.role,
        tenant_slug=tenant.slug if tenant else "",
        tenant_name=tenant.name if tenant else "",
        totp_enabled=user.totp_enabled,
    )
