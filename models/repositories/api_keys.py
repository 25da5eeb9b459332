"""API key rows. Lookup by public prefix happens before the tenant is known (that is how the
tenant is learned); every other function is tenant-scoped."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.tenancy import ApiKey


async def find_by_prefix(*, session: AsyncSession, prefix: str) -> ApiKey | None:
    return (await session.execute(select(ApiKey).where(ApiKey.prefix == prefix))).scalar_one_or_none()


async def get_key(*, session: AsyncSession, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
    stmt = select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_keys(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    include_revoked: bool = False,
    limit: int = 50,
    after: tuple[dt.datetime, uuid.UUID] | None = None,
) -> list[ApiKey]:
    stmt = select(ApiKey).where(ApiKey.tenant_id == tenant_id)
    if not include_revoked:
        stmt = stmt.where(ApiKey.revoked_at.is_(None))
    if after is not None:
        stmt = stmt.where(tuple_(ApiKey.created_at, ApiKey.id) < after)
    stmt = stmt.order_by(ApiKey.created_at.desc(), ApiKey.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def create_key(*, session: AsyncSession, tenant_id: uuid.UUID, fields: dict[str, Any]) -> ApiKey:
    key = ApiKey(tenant_id=tenant_id, **fields)
    session.add(key)
    await session.flush()
    return key


async def touch_last_used(*, session: AsyncSession, tenant_id: uuid.UUID, key_id: uuid.UUID, at: dt.datetime) -> None:
    await session.execute(
        update(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id).values(last_used_at=at)
    )
