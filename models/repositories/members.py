"""Tenant members: users joined to a tenant with a role."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.tenancy import Membership, User


async def list_members(*, session: AsyncSession, tenant_id: uuid.UUID) -> list[tuple[Membership, User]]:
    stmt = (
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.tenant_id == tenant_id)
        .order_by(Membership.created_at)
    )
    return [(m, u) for m, u in (await session.execute(stmt)).all()]


async def get_member(
    *, session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Membership, User] | None:
    stmt = (
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.tenant_id == tenant_id, Membership.user_id == user_id)
    )
    row = (await session.execute(stmt)).first()
    return (row[0], row[1]) if row else None


async def count_owners(*, session: AsyncSession, tenant_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(Membership.tenant_id == tenant_id, Membership.role == "owner")
    return int((await session.execute(stmt)).scalar_one())


async def memberships_of_user(*, session: AsyncSession, user_id: uuid.UUID) -> list[Membership]:
    """A user's tenants (used at login, before a tenant is chosen)."""
    stmt = select(Membership).where(Membership.user_id == user_id).order_by(Membership.created_at)
    return list((await session.execute(stmt)).scalars())


async def get_user(*, session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def delete_membership(*, session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
    member = await get_member(session=session, tenant_id=tenant_id, user_id=user_id)
    if member is not None:
        await session.delete(member[0])
        await session.flush()
