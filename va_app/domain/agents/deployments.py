"""Deployments: put a version in an environment (all at once, canary, gradual), promote it
along development -> staging -> production, roll back in one call, keep the history.

Promotion is one-way: a version may serve staging only after it served all of development,
and production only after it served all of staging (checked on the deployment rows, so
there is no flag to forget). Deploying to production needs ``agents:promote_production``
(admin and up); development and staging need ``agents:deploy``. Rolling back needs only
``agents:deploy`` in every environment: it can only return to a version that already passed
the gate, and the person on call at night should be able to press it.

Every transition is written three times, on purpose: a ``deployment_events`` row (the
history the console shows), an audit entry (who/when/what, tamper-evident), and an
``agent.events`` bus message (for integrations and analytics), the last after commit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import db
from models.agents import Deployment, DeploymentEvent
from models.base import utcnow
from models.repositories import agents as agents_repo
from va_app.domain.agents import notify, resolver, rollout
from va_app.domain.agents.resolver import ENVIRONMENTS
from va_app.domain.agents.service import load_agent, require_active
from va_app.domain.errors import Conflict, InvalidInput
from va_app.domain.identity.audit import audit
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.pagination import decode_cursor, encode_cursor

STRATEGIES = ("all", "canary", "gradual")
PREVIOUS_ENVIRONMENT = {"staging": "development", "production": "staging"}
NEXT_ENVIRONMENT = {"development": "staging", "staging": "production"}


@dataclass(frozen=True)
class DeploymentInfo:
    id: str
    agent_id: str
    environment: str
    version_number: int
    stable_version_number: int | None
    strategy: str
    percent: int
    schedule: list[dict[str, Any]]
    thresholds: dict[str, Any]
    status: str
    reason: str
    step_index: int
    step_started_at: dt.datetime | None
    finished_at: dt.datetime | None
    created_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DeploymentEventInfo:
    id: str
    agent_id: str
    deployment_id: str | None
    environment: str
    kind: str
    from_version: int | None
    to_version: int | None
    percent: int | None
    reason: str
    actor_type: str
    actor_id: str | None
    actor_label: str
    details: dict[str, Any]
    created_at: dt.datetime


def describe(row: Deployment) -> DeploymentInfo:
    return DeploymentInfo(
        id=str(row.id),
        agent_id=str(row.agent_id),
        environment=row.environment,
        version_number=row.version_number,
        stable_version_number=row.stable_version_number,
        strategy=row.strategy,
        percent=row.percent,
        schedule=list(row.schedule or []),
        thresholds=dict(row.thresholds or {}),
        status=row.status,
        reason=row.reason,
        step_index=row.step_index,
        step_started_at=row.step_started_at,
        finished_at=row.finished_at,
        created_by=str(row.created_by) if row.created_by else None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def describe_event(row: DeploymentEvent) -> DeploymentEventInfo:
    return DeploymentEventInfo(
        id=str(row.id),
        agent_id=str(row.agent_id),
        deployment_id=str(row.deployment_id) if row.deployment_id else None,
        environment=row.environment,
        kind=row.kind,
        from_version=row.from_version,
        to_version=row.to_version,
        percent=row.percent,
        reason=row.reason,
        actor_type=row.actor_type,
        actor_id=row.actor_id,
        actor_label=row.actor_label,
        details=dict(row.details or {}),
        created_at=row.created_at,
    )


def check_environment(environment: str) -> None:
    if environment not in ENVIRONMENTS:
        raise InvalidInput(f"environment must be one of {', '.join(ENVIRONMENTS)}")


def require_deploy_permission(principal: Principal, environment: str) -> None:
    check_environment(environment)
    principal.require(Perm.AGENTS_PROMOTE_PRODUCTION if environment == "production" else Perm.AGENTS_DEPLOY)


def parse_thresholds(raw: dict[str, Any] | None) -> rollout.Thresholds:
    unknown = set(raw or {}) - set(rollout.Thresholds.__dataclass_fields__)
    if unknown:
        raise InvalidInput(f"unknown thresholds: {', '.join(sorted(unknown))}")
    th = rollout.Thresholds.from_dict(raw)
    rates = (th.max_error_rate, th.max_error_rate_increase, th.max_handoff_rate_increase)
    if not all(0 <= r <= 1 for r in rates) or th.max_latency_p95_ratio < 1 or th.min_events < 1:
        raise InvalidInput("thresholds: rates in 0..1, max_latency_p95_ratio >= 1, min_events >= 1")
    return th


async def check_promotion_order(
    session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID, environment: str, version: int
) -> None:
    previous = PREVIOUS_ENVIRONMENT.get(environment)
    if previous is None:
        return
    served = await agents_repo.version_was_stable_in(
        session=session, tenant_id=tenant_id, agent_id=agent_id, environment=previous, version_number=version
    )
    if not served:
        raise Conflict(
            f"version {version} must serve all of {previous} before it can go to {environment}",
            code="promotion_order",
        )


async def record_transition(
    session: AsyncSession,
    principal: Principal,
    row: Deployment,
    kind: str,
    *,
    from_version: int | None,
    to_version: int | None,
    reason: str,
    details: dict[str, Any] | None = None,
) -> notify.AgentEventSpec:
    """History row + audit entry now; the returned bus event is published after commit."""
    details = {"deployment_id": str(row.id), "strategy": row.strategy, **(details or {})}
    await agents_repo.add_deployment_event(
        session=session,
        tenant_id=row.tenant_id,
        agent_id=row.agent_id,
        fields={
            "deployment_id": row.id,
            "environment": row.environment,
            "kind": kind,
            "from_version": from_version,
            "to_version": to_version,
            "percent": row.percent,
            "reason": reason,
            "actor_type": principal.actor_type,
            "actor_id": principal.actor_id,
            "actor_label": principal.label,
            "details": details,
        },
    )
    await audit(
        session,
        principal,
        f"agent.{kind}",
        "deployment",
        row.id,
        after={**describe(row).as_dict(), "from_version": from_version, "to_version": to_version, "reason": reason},
        tenant_id=row.tenant_id,
    )
    return notify.AgentEventSpec(
        agent_id=str(row.agent_id),
        kind=kind,
        version=to_version or 0,
        environment=row.environment,
        details={
            **details,
            "from_version": from_version,
            "percent": row.percent,
            "reason": reason,
            "actor": principal.label,
        },
    )


def _finish(row: Deployment, status: str, now: dt.datetime) -> None:
    row.status = status
    row.finished_at = now
    row.updated_at = now


async def deploy(
    principal: Principal,
    agent: str,
    *,
    version: int,
    environment: str,
    strategy: str = "all",
    percent: int | None = None,
    schedule: list[dict[str, Any]] | None = None,
    thresholds: dict[str, Any] | None = None,
    reason: str = "",
) -> DeploymentInfo:
    """Start serving ``version`` in ``environment``.

    ``all`` switches at once; ``canary`` sends ``percent`` % to the version until someone
    promotes (deploys it with ``all``) or rolls back (or the controller does, on regression);
    ``gradual`` follows ``schedule`` and is advanced or rolled back by the controller.
    """
    require_deploy_permission(principal, environment)
    if strategy not in STRATEGIES:
        raise InvalidInput(f"strategy must be one of {', '.join(STRATEGIES)}")
    th = parse_thresholds(thresholds)
    steps: list[rollout.Step] = []
    if strategy == "canary":
        if percent is None or not 1 <= percent <= 99:
            raise InvalidInput("a canary needs percent between 1 and 99")
    elif strategy == "gradual":
        try:
            steps = rollout.parse_schedule(schedule)
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(f"schedule: {exc}") from None
    now = utcnow()
    events: list[notify.AgentEventSpec] = []
    async with db.session_scope() as session:
        agent_row = await load_agent(session, principal, agent, for_update=True)
        require_active(agent_row)
        tenant_id = principal.tenant_id
        if (
            await agents_repo.get_version(session=session, tenant_id=tenant_id, agent_id=agent_row.id, number=version)
            is None
        ):
            raise InvalidInput(f"agent '{agent_row.slug}' has no version {version}")
        await check_promotion_order(session, tenant_id, agent_row.id, environment, version)
        if await agents_repo.running_experiment(
            session=session, tenant_id=tenant_id, agent_id=agent_row.id, environment=environment
        ):
            raise Conflict(f"an experiment is running in {environment}; stop it first", code="experiment_running")
        current = await agents_repo.current_deployment(
            session=session, tenant_id=tenant_id, agent_id=agent_row.id, environment=environment, for_update=True
        )
        stable_now = current.stable_version_number if current is not None else None
        if strategy != "all":
            if stable_now is None:
                raise Conflict(
                    f"nothing serves {environment} yet: deploy with strategy 'all' first", code="no_stable_version"
                )
            if stable_now == version:
                raise Conflict(f"version {version} already serves all of {environment}", code="already_stable")
        if strategy == "gradual" and steps[0].percent == 100:
            strategy = "all"
        if current is not None:
            was_rolling = current.status == "rolling_out"
            if current.status != "rolled_back":
                current.status = "superseded"
            current.finished_at = current.finished_at or now
            current.updated_at = now
            if was_rolling:
                events.append(
                    await record_transition(
                        session,
                        principal,
                        current,
                        "rollout.superseded",
                        from_version=current.version_number,
                        to_version=current.stable_version_number,
                        reason=f"replaced by a deployment of version {version}",
                    )
                )
        rolling = strategy != "all"
        row = await agents_repo.create_deployment(
            session=session,
            tenant_id=tenant_id,
            agent_id=agent_row.id,
            environment=environment,
            version_number=version,
            strategy=strategy,
            percent=(percent or 0) if strategy == "canary" else steps[0].percent if steps else 100,
            reason=reason,
            created_by=principal.user_id,
            stable_version_number=stable_now if rolling else version,
            schedule=[{"percent": s.percent, "hold_seconds": s.hold_seconds} for s in steps],
            thresholds=th.to_dict(),
            status="rolling_out" if rolling else "active",
        )
        if not rolling:
            row.finished_at = now
        events.append(
            await record_transition(
                session,
                principal,
                row,
                "rollout.started" if rolling else "deployment.deployed",
                from_version=stable_now,
                to_version=version,
                reason=reason,
            )
        )
        info = describe(row)
    await resolver.invalidate(principal.tenant_id, agent_row.id, environment)
    await notify.serving_changed.call_all(principal.tenant_id, agent_row.id)  # conversations' caches
    await notify.publish(principal.tenant_id, events)
    return info


async def promote(
    principal: Principal, agent: str, *, from_environment: str, reason: str = "", **strategy: Any
) -> DeploymentInfo:
    """Deploy what serves all of ``from_environment`` to the next environment."""
    check_environment(from_environment)
    target = NEXT_ENVIRONMENT.get(from_environment)
    if target is None:
        raise InvalidInput("production is the last environment")
    require_deploy_permission(principal, target)
    async with db.session_scope() as session:
        agent_row = await load_agent(session, principal, agent)
        current = await agents_repo.current_deployment(
            session=session, tenant_id=principal.tenant_id, agent_id=agent_row.id, environment=from_environment
        )
    if current is None or current.stable_version_number is None:
        raise Conflict(f"nothing serves {from_environment}", code="no_stable_version")
    return await deploy(
        principal,
        str(agent_row.id),
        version=current.stable_version_number,
        environment=target,
        reason=reason or f"promoted from {from_environment}",
        **strategy,
    )


def previous_stable(history: list[tuple[int | None, str, str]], current: int) -> int | None:
    """The stable version before ``current``, skipping versions something rolled back from.

    ``history`` is newest first. A row with strategy ``rollback`` means the row just older
    than it was abandoned, so a second rollback never returns to a version that failed.
    """
    abandoned = {history[i + 1][0] for i, row in enumerate(history[:-1]) if row[1] == "rollback"}
    for stable, _strategy, _status in history:
        if stable is not None and stable != current and stable not in abandoned:
            return stable
    return None


async def rollback(
    principal: Principal, agent: str, *, environment: str = "production", reason: str = ""
) -> DeploymentInfo:
    """One call back to safety: drop the rollout in progress, or return to the previous stable version."""
    check_environment(environment)
    principal.require(Perm.AGENTS_DEPLOY)
    now = utcnow()
    async with db.session_scope() as session:
        agent_row = await load_agent(session, principal, agent, for_update=True)
        tenant_id = principal.tenant_id
        current = await agents_repo.current_deployment(
            session=session, tenant_id=tenant_id, agent_id=agent_row.id, environment=environment, for_update=True
        )
        if current is None or current.stable_version_number is None:
            raise Conflict(f"nothing is deployed in {environment}", code="nothing_deployed")
        why = reason or "manual rollback"
        if current.status == "rolling_out":
            candidate = current.version_number
            current.percent = 0
            current.reason = why
            _finish(current, "rolled_back", now)
            event = await record_transition(
                session,
                principal,
                current,
                "rollout.rolled_back",
                from_version=candidate,
                to_version=current.stable_version_number,
                reason=why,
                details={"automatic": False},
            )
            row = current
        else:
            history = await agents_repo.stable_history(
                session=session, tenant_id=tenant_id, agent_id=agent_row.id, environment=environment
            )
            target = previous_stable(history, current.stable_version_number)
            if target is None:
                raise Conflict(f"no earlier stable version in {environment} to return to", code="no_previous_version")
            current.status = "superseded"
            current.finished_at = current.finished_at or now
            current.updated_at = now
            row = await agents_repo.create_deployment(
                session=session,
                tenant_id=tenant_id,
                agent_id=agent_row.id,
                environment=environment,
                version_number=target,
                strategy="rollback",
                percent=100,
                reason=why,
                created_by=principal.user_id,
                stable_version_number=target,
                thresholds=dict(current.thresholds or {}),
                status="active",
            )
            row.finished_at = now
            event = await record_transition(
                session,
                principal,
                row,
                "deployment.rolled_back",
                from_version=current.stable_version_number,
                to_version=target,
                reason=why,
                details={"automatic": False},
            )
        info = describe(row)
    await resolver.invalidate(principal.tenant_id, agent_row.id, environment)
    await notify.serving_changed.call_all(principal.tenant_id, agent_row.id)  # conversations' caches
    await notify.publish(principal.tenant_id, [event])
    return info


async def current_state(principal: Principal, agent: str) -> dict[str, DeploymentInfo | None]:
    """What each environment runs now (None: never deployed)."""
    async with db.session_scope() as session:
        agent_row = await load_agent(session, principal, agent)
        rows = await agents_repo.current_deployments(
            session=session, tenant_id=principal.tenant_id, agent_id=agent_row.id
        )
    return {env: (describe(rows[env]) if env in rows else None) for env in ENVIRONMENTS}


async def history(
    principal: Principal,
    agent: str,
    *,
    environment: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[DeploymentEventInfo], str | None]:
    if environment is not None:
        check_environment(environment)
    after = decode_cursor(cursor) if cursor else None
    async with db.session_scope() as session:
        agent_row = await load_agent(session, principal, agent)
        rows = await agents_repo.list_deployment_events(
            session=session,
            tenant_id=principal.tenant_id,
            agent_id=agent_row.id,
            environment=environment,
            limit=limit + 1,
            after=after,
        )
    shown = rows[:limit]
    next_cursor = encode_cursor(shown[-1].created_at, shown[-1].id) if len(rows) > limit else None
    return [describe_event(r) for r in shown], next_cursor


async def agent_overview(principal: Principal, agent: str) -> dict[str, Any]:
    """The agent, its latest version number and what each environment runs (one transaction)."""
    from va_app.domain.agents.service import describe as describe_agent

    async with db.session_scope() as session:
        agent_row = await load_agent(session, principal, agent)
        latest = await agents_repo.latest_version(session=session, tenant_id=principal.tenant_id, agent_id=agent_row.id)
        rows = await agents_repo.current_deployments(
            session=session, tenant_id=principal.tenant_id, agent_id=agent_row.id
        )
    return {
        **describe_agent(agent_row).as_dict(),
        "latest_version": latest.number if latest else None,
        "environments": {env: (describe(rows[env]).as_dict() if env in rows else None) for env in ENVIRONMENTS},
    }
