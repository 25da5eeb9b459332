"""Budget limits (the live spend is in Redis). Every function is tenant-scoped."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.billing import Budget
from models.repositories import affected_rows


async def list_budgets(*, session: AsyncSession, tenant_id: uuid.UUID) -> list[Budget]:
    stmt = select(Budget).where(Budget.tenant_id == tenant_id).order_by(Budget.created_at, Budget.id)
    return list((await session.execute(stmt)).scalars())


async def find_budget(
    *, session: AsyncSession, tenant_id: uuid.UUID, scope: str, scope_id: str | None, period: str
) -> Budget | None:
    stmt = select(Budget).where(
        Budget.tenant_id == tenant_id,
        Budget.scope == scope,
        Budget.period == period,
        Budget.scope_id.is_(None) if scope_id is None else Budget.scope_id == scope_id,
    )
    return (await session.execute(stmt)).scalars().first()


async def create_budget(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    scope: str,
    scope_id: str | None,
    period: str,
    limit_usd: float,
    hard: bool,
) -> Budget:
    budget = Budget(tenant_id=tenant_id, scope=scope, scope_id=scope_id, period=period, limit_usd=limit_usd, hard=hard)
    session.add(budget)
    await session.flush()
    return budget


async def get_budget(*, session: AsyncSession, tenant_id: uuid.UUID, budget_id: uuid.UUID) -> Budget | None:
    stmt = select(Budget).where(Budget.tenant_id == tenant_id, Budget.id == budget_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def delete_budget(*, session: AsyncSession, tenant_id: uuid.UUID, budget_id: uuid.UUID) -> int:
    result = await session.execute(delete(Budget).where(Budget.tenant_id == tenant_id, Budget.id == budget_id))
    return affected_rows(result)
