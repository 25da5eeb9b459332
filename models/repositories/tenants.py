"""Tenants and their people."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.tenancy import Membership, Tenant, User


async def get_tenant_by_slug(*, session: AsyncSession, slug: str) -> Tenant | None:
    return (await session.execute(select(Tenant).where(Tenant.slug == slug))).scalar_one_or_none()


async def list_tenants(*, session: AsyncSession, limit: int = 500) -> list[Tenant]:
    """Every tenant, by name: across tenants by design (the platform admin's pickers)."""
    stmt = select(Tenant).order_by(Tenant.name, Tenant.slug).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def get_tenant(*, session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def create_tenant(
    *,
    session: AsyncSession,
    slug: str,
    name: str,
    plan: str = "free",
    quotas: dict[str, Any] | None = None,
    feature_flags: dict[str, Any] | None = None,
) -> Tenant:
    tenant = Tenant(slug=slug, name=name, plan=plan, quotas=quotas or {}, feature_flags=feature_flags or {})
    session.add(tenant)
    await session.flush()
    return tenant


async def get_user_by_email(*, session: AsyncSession, email: str) -> User | None:
    return (await session.execute(select(User).where(User.email == email.lower()))).scalar_one_or_none()


async def create_user(
    *, session: AsyncSession, email: str, full_name: str = "", password_hash: str | None = None
) -> User:
    user = User(email=email.lower(), full_name=full_name, password_hash=password_hash)
    session.add(user)
    await session.flush()
    return user


async def get_membership(*, session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> Membership | None:
    stmt = select(Membership).where(Membership.tenant_id == tenant_id, Membership.user_id == user_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_membership(*, session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, role: str) -> Membership:
    membership = Membership(tenant_id=tenant_id, user_id=user_id, role=role)
    session.add(membership)
    await session.flush()
    return membership
