"""Platform-wide counters for the operator overview (superadmin scope, no tenant filter)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.agents import Agent
from models.tenancy import Tenant


async def count_tenants(*, session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Tenant))).scalar_one())


async def count_agents(*, session: AsyncSession) -> int:
    stmt = select(func.count()).select_from(Agent).where(Agent.archived_at.is_(None))
    return int((await session.execute(stmt)).scalar_one())
