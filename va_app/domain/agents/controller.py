"""The automatic rollout controller: one ``tick`` evaluates every canary/gradual rollout.

For each rollout it reads the KPIs of the candidate and the stable version since the current
step started (raw events, exact window, turns served in the rollout's environment only: a
version's staging errors never roll back its production canary), asks :func:`rollout.decide`, and applies the
answer: advance to the next step, complete (the candidate becomes stable at 100 %), or roll
back. Rows are locked one at a time with ``SKIP LOCKED``, so several web replicas may tick
concurrently without acting twice on one rollout; a failure on one rollout is logged and the
others still run.

The web process runs :func:`run_periodically` from its lifespan; tests call
:func:`rollout_controller_tick` directly, with ``now`` to step through hold times.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import polars as pl

from analytics.queries.variants import version_stats
from core import clickhouse, db
from models.agents import Deployment
from models.base import utcnow
from models.repositories import agents as agents_repo
from va_app.domain.agents import notify, resolver, rollout
from va_app.domain.agents.deployments import record_transition
from va_app.domain.identity.principal import system_principal

log = logging.getLogger(__name__)
DEFAULT_INTERVAL_S = 30.0
ACTOR = "rollout-controller"


@dataclass(frozen=True)
class TickOutcome:
    tenant_id: str
    agent_id: str
    deployment_id: str
    environment: str
    action: str
    reason: str
    percent: int
    candidate: dict[str, Any]
    stable: dict[str, Any] | None


def _kpis(frame: pl.DataFrame, version: int | None) -> rollout.Kpis | None:
    if version is None or frame.is_empty():
        return None
    rows = frame.filter(pl.col("version") == version).to_dicts()
    if not rows:
        return None
    row = rows[0]
    return rollout.Kpis(
        events=int(row["events"] or 0),
        error_rate=float(row["error_rate"] or 0),
        latency_p95=float(row["latency_p95"] or 0),
        handoff_rate=float(row["handoff_rate"] or 0),
        conversations=int(row["conversations"] or 0),
    )


async def _evaluate(tenant_id: uuid.UUID, deployment_id: uuid.UUID, now: dt.datetime) -> TickOutcome | None:
    events: list[notify.AgentEventSpec] = []
    async with db.session_scope() as session:
        row = await agents_repo.lock_deployment(session=session, tenant_id=tenant_id, deployment_id=deployment_id)
        if row is None or row.status != "rolling_out":
            return None  # another replica has it, or it changed since the listing
        started = row.step_started_at or row.created_at
        frame = await clickhouse.run(
            version_stats,
            str(tenant_id),
            str(row.agent_id),
            started,
            now,
            [v for v in (row.version_number, row.stable_version_number) if v is not None],
            environment=row.environment,  # this environment's users only
        )
        candidate = _kpis(frame, row.version_number) or rollout.Kpis()
        stable = _kpis(frame, row.stable_version_number)
        decision = rollout.decide(
            stable=stable,
            candidate=candidate,
            thresholds=rollout.Thresholds.from_dict(row.thresholds),
            schedule=rollout.parse_schedule(row.schedule) if row.schedule else [rollout.Step(row.percent, 0)],
            step_index=row.step_index,
            elapsed_s=(now - started).total_seconds(),
            automatic_advance=row.strategy == "gradual",
        )
        kpis: dict[str, Any] = {
            "candidate": dict(candidate.__dict__),
            "stable": dict(stable.__dict__) if stable else None,
        }
        if decision.action != "hold":
            events.append(await _apply(session, row, decision, kpis, now))
        outcome = TickOutcome(
            tenant_id=str(tenant_id),
            agent_id=str(row.agent_id),
            deployment_id=str(row.id),
            environment=row.environment,
            action=decision.action,
            reason=decision.reason,
            percent=row.percent,
            candidate=kpis["candidate"],
            stable=kpis["stable"],
        )
        agent_id = row.agent_id
        environment = row.environment
    if events:
        await resolver.invalidate(tenant_id, agent_id, environment)
        if outcome.action == "rollback":
            await notify.serving_changed.call_all(tenant_id, agent_id)  # as a manual rollback does
        await notify.publish(tenant_id, events)
    return outcome


async def _apply(
    session: Any, row: Deployment, decision: rollout.Decision, kpis: dict[str, Any], now: dt.datetime
) -> notify.AgentEventSpec:
    principal = system_principal(row.tenant_id, label=ACTOR)
    details = {"automatic": True, "kpis": kpis, "step_index": row.step_index}
    candidate, stable = row.version_number, row.stable_version_number
    row.updated_at = now
    if decision.action == "rollback":
        row.percent = 0
        row.status = "rolled_back"
        row.finished_at = now
        row.reason = decision.reason
        return await record_transition(
            session,
            principal,
            row,
            "rollout.rolled_back",
            from_version=candidate,
            to_version=stable,
            reason=decision.reason,
            details=details,
        )
    if decision.action == "complete":
        row.percent = 100
        row.stable_version_number = candidate
        row.status = "active"
        row.finished_at = now
        row.step_index = decision.next_step or row.step_index
        row.step_started_at = now
        return await record_transition(
            session,
            principal,
            row,
            "rollout.completed",
            from_version=stable,
            to_version=candidate,
            reason=decision.reason,
            details=details,
        )
    row.step_index = decision.next_step if decision.next_step is not None else row.step_index + 1
    row.percent = decision.next_percent or row.percent
    row.step_started_at = now
    return await record_transition(
        session,
        principal,
        row,
        "rollout.advanced",
        from_version=stable,
        to_version=candidate,
        reason=decision.reason,
        details=details,
    )


async def rollout_controller_tick(now: dt.datetime | None = None) -> list[TickOutcome]:
    """Evaluate every rollout in progress once; returns what was decided for each."""
    now = now or utcnow()
    async with db.session_scope() as session:
        pending = await agents_repo.rolling_out_ids(session=session)
    outcomes: list[TickOutcome] = []
    for tenant_id, deployment_id in pending:
        try:
            outcome = await _evaluate(tenant_id, deployment_id, now)
        except Exception:  # one broken rollout must not stop the others from being watched
            log.exception("rollout evaluation failed", extra={"deployment_id": str(deployment_id)})
            continue
        if outcome is not None:
            outcomes.append(outcome)
            if outcome.action != "hold":
                log.info(
                    "rollout %s",
                    outcome.action,
                    extra={"deployment_id": outcome.deployment_id, "reason": outcome.reason},
                )
    return outcomes


async def run_periodically(stop: asyncio.Event, interval_s: float = DEFAULT_INTERVAL_S) -> None:
    """Tick every ``interval_s`` until ``stop`` is set (started by the web lifespan)."""
    while not stop.is_set():
        try:
            await rollout_controller_tick()
        except Exception:  # the database or ClickHouse may be briefly away; try again next tick
            log.exception("rollout controller tick failed")
        try:
            await asyncio.wait_for(stop.wait(), interval_s)
        except TimeoutError:
            continue
