"""Agents, versions and deployments; every query is scoped by tenant."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.agents import Agent, AgentVersion, Deployment
from models.base import utcnow


async def get_agent_by_slug(*, session: AsyncSession, tenant_id: uuid.UUID, slug: str) -> Agent | None:
    stmt = select(Agent).where(Agent.tenant_id == tenant_id, Agent.slug == slug)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_agents(*, session: AsyncSession, tenant_id: uuid.UUID) -> list[Agent]:
    stmt = select(Agent).where(Agent.tenant_id == tenant_id).order_by(Agent.created_at)
    return list((await session.execute(stmt)).scalars())


async def create_agent(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    slug: str,
    name: str,
    description: str = "",
    brand: str | None = None,
    channels: list[str] | None = None,
    owner_id: uuid.UUID | None = None,
    template: str | None = None,
) -> Agent:
    agent = Agent(
        tenant_id=tenant_id,
        slug=slug,
        name=name,
        description=description,
        brand=brand,
        channels=channels or [],
        owner_id=owner_id,
        template=template,
    )
    session.add(agent)
    await session.flush()
    return agent


async def create_version(
    *, session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID, fields: dict[str, Any]
) -> AgentVersion:
    """Next number for the agent; the row is never updated afterwards."""
    stmt = select(func.coalesce(func.max(AgentVersion.number), 0)).where(
        AgentVersion.tenant_id == tenant_id, AgentVersion.agent_id == agent_id
    )
    number = int((await session.execute(stmt)).scalar_one()) + 1
    version = AgentVersion(tenant_id=tenant_id, agent_id=agent_id, number=number, created_at=utcnow(), **fields)
    session.add(version)
    await session.flush()
    return version


async def create_deployment(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    agent_id: uuid.UUID,
    environment: str,
    version_number: int,
    strategy: str = "all",
    percent: int = 100,
    reason: str = "",
    created_by: uuid.UUID | None = None,
) -> Deployment:
    deployment = Deployment(
        tenant_id=tenant_id,
        agent_id=agent_id,
        environment=environment,
        version_number=version_number,
        stable_version_number=version_number if strategy == "all" else None,
        strategy=strategy,
        percent=percent,
        reason=reason,
        created_by=created_by,
    )
    session.add(deployment)
    await session.flush()
    return deployment


async def current_deployment(
    *, session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID, environment: str
) -> Deployment | None:
    stmt = (
        select(Deployment)
        .where(
            Deployment.tenant_id == tenant_id,
            Deployment.agent_id == agent_id,
            Deployment.environment == environment,
        )
        .order_by(Deployment.created_at.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_agent(*, session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID) -> Agent | None:
    stmt = select(Agent).where(Agent.tenant_id == tenant_id, Agent.id == agent_id)
    return (await session.execute(stmt)).scalar_one_or_none()
