"""The hot path: which version answers this conversation, and what that version says.

``resolve_version`` is called on every chat turn, so it costs one Redis round trip in the
common case:

* the route table (what an agent serves in an environment) is cached in Redis for
  ``ROUTE_TTL_S`` and deleted on every change (deploy, rollout step, rollback, experiment,
  archive), so all replicas see a change at once;
* the conversation's pin (``GETEX``, sliding TTL) is read in the same pipeline. A pin to a
  version the table still serves (or drains) is honoured, so a conversation never changes
  version mid-way, even when a gradual rollout raises its percentage or completes; only a
  rollback moves pinned conversations off the bad version, on purpose;
* version contents are immutable, so they are cached in-process without invalidation.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from core import cache, db, keys
from core.environments import ENVIRONMENTS as ENVIRONMENTS  # re-exported: the deploy side's import
from core.environments import Environment as Environment
from models.repositories import agents as agents_repo
from va_app.domain.agents import routing
from va_app.domain.agents.routing import RouteTable
from va_app.domain.agents.versions import VersionInfo, describe
from va_app.domain.errors import NotFound

ROUTE_TTL_S = 30
PIN_TTL_S = 24 * 3600
_VERSION_CACHE_SIZE = 2048
_versions: OrderedDict[tuple[str, str, int], VersionInfo] = OrderedDict()


def _route_key(tenant_id: uuid.UUID | str, agent_id: uuid.UUID | str, environment: str) -> str:
    return keys.agent_route(tenant_id, agent_id, environment)


def _pin_key(agent_id: uuid.UUID | str, environment: str, conversation_id: str) -> str:
    return keys.agent_pin(agent_id, environment, conversation_id)


def _previous_stable(history: list[tuple[int | None, str, str]], current: int) -> int | None:
    for stable, _strategy, _status in history:
        if stable is not None and stable != current:
            return stable
    return None


async def load_route(session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID, environment: str) -> RouteTable:
    """The route table from PostgreSQL (the source of truth behind the cache)."""
    agent = await agents_repo.get_agent(session=session, tenant_id=tenant_id, agent_id=agent_id)
    if agent is None or agent.archived_at is not None:
        return RouteTable(environment, None, active=False)
    current = await agents_repo.current_deployment(
        session=session, tenant_id=tenant_id, agent_id=agent_id, environment=environment
    )
    experiment = await agents_repo.running_experiment(
        session=session, tenant_id=tenant_id, agent_id=agent_id, environment=environment
    )
    stable = current.stable_version_number if current is not None else None
    deployment_id = str(current.id) if current is not None else None
    if experiment is not None:
        variants = tuple((int(v["version"]), int(v["percent"])) for v in experiment.variants)
        drained = (stable,) if stable is not None and stable not in {v for v, _ in variants} else ()
        return RouteTable(
            environment,
            stable,
            variants=variants,
            experiment_id=str(experiment.id),
            draining=drained,
            deployment_id=deployment_id,
        )
    if current is None or stable is None:
        return RouteTable(environment, None, active=False)
    if current.status == "rolling_out":
        return RouteTable(environment, stable, current.version_number, current.percent, deployment_id=deployment_id)
    draining: tuple[int, ...] = ()
    if current.status == "active" and current.strategy != "rollback":
        history = await agents_repo.stable_history(
            session=session, tenant_id=tenant_id, agent_id=agent_id, environment=environment, limit=5
        )
        previous = _previous_stable(history, stable)
        draining = (previous,) if previous is not None else ()
    return RouteTable(environment, stable, draining=draining, deployment_id=deployment_id)


async def route_table(tenant_id: uuid.UUID, agent_id: uuid.UUID, environment: str) -> RouteTable:
    redis = cache.get_redis()
    raw = await redis.get(_route_key(tenant_id, agent_id, environment))
    if raw is not None:
        return RouteTable.from_dict(orjson.loads(raw))
    async with db.session_scope() as session:
        table = await load_route(session, tenant_id, agent_id, environment)
    await redis.set(_route_key(tenant_id, agent_id, environment), orjson.dumps(table.to_dict()), ex=ROUTE_TTL_S)
    return table


async def invalidate(tenant_id: uuid.UUID | str, agent_id: uuid.UUID | str, environment: str | None = None) -> None:
    """Forget cached route tables (call after the change is committed)."""
    envs = (environment,) if environment else ENVIRONMENTS
    await cache.get_redis().delete(*(_route_key(tenant_id, agent_id, e) for e in envs))


async def version_data(tenant_id: uuid.UUID, agent_id: uuid.UUID, number: int) -> VersionInfo:
    key = (str(tenant_id), str(agent_id), number)
    found = _versions.get(key)
    if found is not None:
        _versions.move_to_end(key)
        return found
    async with db.session_scope() as session:
        row = await agents_repo.get_version(session=session, tenant_id=tenant_id, agent_id=agent_id, number=number)
    if row is None:
        raise NotFound(f"version {number} not found")
    info = describe(row)
    _versions[key] = info
    if len(_versions) > _VERSION_CACHE_SIZE:
        _versions.popitem(last=False)
    return info


@dataclass(frozen=True)
class Served:
    """What serves one turn: the version (number and content) and where it is deployed."""

    number: int
    version: VersionInfo
    environment: Environment
    deployment_id: str  # the environment's current deployment ("" when the route table predates it)


async def resolve(
    tenant_id: uuid.UUID,
    agent_id: uuid.UUID | str,
    environment: str,
    conversation_id: str,
    user_id: str | None = None,
) -> Served:
    """The version this conversation is pinned to (pinning it on the first turn), its content,
    and the environment and deployment serving it (what the turn event records).

    Raises :class:`NotFound` when nothing is deployed in ``environment`` (or the agent is archived).
    Callers have already authenticated the tenant and the agent; this function does no permission check.
    """
    agent = agent_id if isinstance(agent_id, uuid.UUID) else uuid.UUID(agent_id)
    if environment not in ENVIRONMENTS:
        raise NotFound(f"unknown environment '{environment}'")
    env: Environment = next(e for e in ENVIRONMENTS if e == environment)
    redis = cache.get_redis()
    pin_key = _pin_key(agent, environment, conversation_id or f"user:{user_id}")
    async with redis.pipeline(transaction=False) as pipe:
        pipe.get(_route_key(tenant_id, agent, environment))
        pipe.getex(pin_key, ex=PIN_TTL_S)
        raw_route, raw_pin = await pipe.execute()
    if raw_route is not None:
        table = RouteTable.from_dict(orjson.loads(raw_route))
    else:
        table = await route_table(tenant_id, agent, environment)
    if not table.active or not table.arms():
        raise NotFound(f"agent has no active deployment in {environment}")
    version: int | None = int(raw_pin) if raw_pin is not None else None
    if version is None or version not in table.pinnable():
        version = routing.route(table, str(agent), conversation_id, user_id)
        await redis.set(pin_key, str(version), ex=PIN_TTL_S)
    info = await version_data(tenant_id, agent, version)
    return Served(version, info, env, table.deployment_id or "")


async def resolve_version(
    tenant_id: uuid.UUID,
    agent_id: uuid.UUID | str,
    environment: str,
    conversation_id: str,
    user_id: str | None = None,
) -> tuple[int, VersionInfo]:
    """:func:`resolve` as ``(number, content)``, for callers that need only the version."""
    served = await resolve(tenant_id, agent_id, environment, conversation_id, user_id)
    return served.number, served.version
