"""Platform-wide counters for the operator overview (superadmin scope, no tenant filter)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.agents import Agent
from models.tenancy import Tenant


async def count_tenants(*, session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Tenant))).scalar_one())


async def count_agents(*, session: AsyncSession, tenant_id: uuid.UUID | None = None) -> int:
    """Live agents of one tenant, or of the platform when ``tenant_id`` is None (superadmin view)."""
    stmt = select(func.count()).select_from(Agent).where(Agent.archived_at.is_(None))
    if tenant_id is not None:
        stmt = stmt.where(Agent.tenant_id == tenant_id)
    return int((await session.execute(stmt)).scalar_one())
