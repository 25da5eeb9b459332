"""Agents, versions and deployments; every query is scoped by tenant."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from models.agents import Agent, AgentVersion, Deployment, DeploymentEvent, Experiment
from models.base import utcnow
from models.knowledge import KnowledgeBase

Keyset = tuple[dt.datetime, uuid.UUID]


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
    stable_version_number: int | None = None,
    schedule: list[dict[str, Any]] | None = None,
    thresholds: dict[str, Any] | None = None,
    status: str = "active",
) -> Deployment:
    """A new current deployment of ``environment``; the previous rows stay as history."""
    now = utcnow()
    deployment = Deployment(
        tenant_id=tenant_id,
        agent_id=agent_id,
        environment=environment,
        version_number=version_number,
        stable_version_number=(
            stable_version_number if stable_version_number is not None or strategy != "all" else version_number
        ),
        strategy=strategy,
        percent=percent,
        schedule=schedule or [],
        thresholds=thresholds or {},
        status=status,
        reason=reason,
        created_by=created_by,
        step_index=0,
        step_started_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(deployment)
    await session.flush()
    return deployment


async def current_deployment(
    *, session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID, environment: str, for_update: bool = False
) -> Deployment | None:
    """The newest row of the environment; ``for_update`` serialises concurrent transitions."""
    stmt = (
        select(Deployment)
        .where(
            Deployment.tenant_id == tenant_id,
            Deployment.agent_id == agent_id,
            Deployment.environment == environment,
        )
        .order_by(Deployment.created_at.desc(), Deployment.id.desc())
        .limit(1)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_agent(
    *, session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID, for_update: bool = False
) -> Agent | None:
    stmt = select(Agent).where(Agent.tenant_id == tenant_id, Agent.id == agent_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_agents_page(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    include_archived: bool = False,
    brand: str | None = None,
    limit: int = 50,
    after: Keyset | None = None,
) -> list[Agent]:
    """Newest first, keyset-paged on (created_at, id)."""
    stmt = select(Agent).where(Agent.tenant_id == tenant_id)
    if not include_archived:
        stmt = stmt.where(Agent.archived_at.is_(None))
    if brand is not None:
        stmt = stmt.where(Agent.brand == brand)
    if after is not None:
        stmt = stmt.where(tuple_(Agent.created_at, Agent.id) < after)
    stmt = stmt.order_by(Agent.created_at.desc(), Agent.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def get_version(
    *, session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID, number: int
) -> AgentVersion | None:
    stmt = select(AgentVersion).where(
        AgentVersion.tenant_id == tenant_id, AgentVersion.agent_id == agent_id, AgentVersion.number == number
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def latest_version(*, session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID) -> AgentVersion | None:
    stmt = (
        select(AgentVersion)
        .where(AgentVersion.tenant_id == tenant_id, AgentVersion.agent_id == agent_id)
        .order_by(AgentVersion.number.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_versions(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    agent_id: uuid.UUID,
    limit: int = 50,
    before_number: int | None = None,
) -> list[AgentVersion]:
    """Newest first; numbers are dense per agent, so the last number is a stable cursor."""
    stmt = select(AgentVersion).where(AgentVersion.tenant_id == tenant_id, AgentVersion.agent_id == agent_id)
    if before_number is not None:
        stmt = stmt.where(AgentVersion.number < before_number)
    stmt = stmt.order_by(AgentVersion.number.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def count_versions(*, session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(AgentVersion.tenant_id == tenant_id, AgentVersion.agent_id == agent_id)
    return int((await session.execute(stmt)).scalar_one())


async def current_deployments(
    *, session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID
) -> dict[str, Deployment]:
    """The newest row per environment."""
    stmt = (
        select(Deployment)
        .where(Deployment.tenant_id == tenant_id, Deployment.agent_id == agent_id)
        .order_by(Deployment.created_at.desc(), Deployment.id.desc())
    )
    current: dict[str, Deployment] = {}
    for row in (await session.execute(stmt)).scalars():
        current.setdefault(row.environment, row)
    return current


async def version_was_stable_in(
    *, session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID, environment: str, version_number: int
) -> bool:
    """Whether ``version_number`` ever served all traffic of ``environment`` (promotion gate)."""
    stmt = (
        select(func.count())
        .select_from(Deployment)
        .where(
            Deployment.tenant_id == tenant_id,
            Deployment.agent_id == agent_id,
            Deployment.environment == environment,
            Deployment.stable_version_number == version_number,
        )
    )
    return int((await session.execute(stmt)).scalar_one()) > 0


async def stable_history(
    *, session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID, environment: str, limit: int = 200
) -> list[tuple[int | None, str, str]]:
    """``(stable_version_number, strategy, status)`` of the environment's rows, newest first."""
    stmt = (
        select(Deployment.stable_version_number, Deployment.strategy, Deployment.status)
        .where(
            Deployment.tenant_id == tenant_id,
            Deployment.agent_id == agent_id,
            Deployment.environment == environment,
        )
        .order_by(Deployment.created_at.desc(), Deployment.id.desc())
        .limit(limit)
    )
    return [(row[0], row[1], row[2]) for row in (await session.execute(stmt)).all()]


async def rolling_out_ids(*, session: AsyncSession, limit: int = 500) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """``(tenant_id, deployment_id)`` of every tenant's canary/gradual rollouts in progress.

    The one query here that is not tenant-scoped: the rollout controller acts for all tenants
    (as each row's tenant, through the system principal) and then locks rows one by one with
    :func:`lock_deployment`.
    """
    stmt = (
        select(Deployment.tenant_id, Deployment.id)
        .where(Deployment.status == "rolling_out")
        .order_by(Deployment.step_started_at)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]


async def lock_deployment(
    *, session: AsyncSession, tenant_id: uuid.UUID, deployment_id: uuid.UUID
) -> Deployment | None:
    """The row, locked; None when another replica holds it (``SKIP LOCKED``) or it is gone."""
    stmt = (
        select(Deployment)
        .where(Deployment.tenant_id == tenant_id, Deployment.id == deployment_id)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_deployment_event(
    *, session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID, fields: dict[str, Any]
) -> DeploymentEvent:
    event = DeploymentEvent(tenant_id=tenant_id, agent_id=agent_id, created_at=utcnow(), **fields)
    session.add(event)
    await session.flush()
    return event


async def list_deployment_events(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    agent_id: uuid.UUID,
    environment: str | None = None,
    limit: int = 50,
    after: Keyset | None = None,
) -> list[DeploymentEvent]:
    stmt = select(DeploymentEvent).where(DeploymentEvent.tenant_id == tenant_id, DeploymentEvent.agent_id == agent_id)
    if environment is not None:
        stmt = stmt.where(DeploymentEvent.environment == environment)
    if after is not None:
        stmt = stmt.where(tuple_(DeploymentEvent.created_at, DeploymentEvent.id) < after)
    stmt = stmt.order_by(DeploymentEvent.created_at.desc(), DeploymentEvent.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def create_experiment(
    *, session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID, fields: dict[str, Any]
) -> Experiment:
    experiment = Experiment(tenant_id=tenant_id, agent_id=agent_id, started_at=utcnow(), **fields)
    session.add(experiment)
    await session.flush()
    return experiment


async def get_experiment(
    *, session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID, experiment_id: uuid.UUID
) -> Experiment | None:
    stmt = select(Experiment).where(
        Experiment.tenant_id == tenant_id, Experiment.agent_id == agent_id, Experiment.id == experiment_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def running_experiment(
    *, session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID, environment: str
) -> Experiment | None:
    stmt = select(Experiment).where(
        Experiment.tenant_id == tenant_id,
        Experiment.agent_id == agent_id,
        Experiment.environment == environment,
        Experiment.status == "running",
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_experiments(
    *, session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID, limit: int = 50, after: Keyset | None = None
) -> list[Experiment]:
    stmt = select(Experiment).where(Experiment.tenant_id == tenant_id, Experiment.agent_id == agent_id)
    if after is not None:
        stmt = stmt.where(tuple_(Experiment.created_at, Experiment.id) < after)
    stmt = stmt.order_by(Experiment.created_at.desc(), Experiment.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def existing_knowledge_base_ids(*, session: AsyncSession, tenant_id: uuid.UUID, ids: list[str]) -> set[str]:
    """Which of ``ids`` name knowledge bases of this tenant (malformed ids simply do not exist)."""
    wanted: list[uuid.UUID] = []
    for raw in ids:
        try:
            wanted.append(uuid.UUID(raw))
        except ValueError:
            continue
    if not wanted:
        return set()
    stmt = select(KnowledgeBase.id).where(KnowledgeBase.tenant_id == tenant_id, KnowledgeBase.id.in_(wanted))
    return {str(i) for i in (await session.execute(stmt)).scalars()}
