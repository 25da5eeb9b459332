"""A/B experiments: two or more versions share an environment's traffic by a fixed split;
results per variant come from analytics with a significance test and a verdict a person can
act on; stopping can promote the winner. Results count only the turns served in the
experiment's environment (never staging traffic of the same versions, never console tests).

While an experiment runs it owns the environment's routing (its split replaces the
deployment's), and deploys to that environment are refused, so results are never mixed with
a rollout. Variant versions pass the same promotion gate as a deploy would.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass
from typing import Any, Literal

import polars as pl

from analytics.queries.variants import version_stats
from core import clickhouse, db
from models.agents import Experiment
from models.base import utcnow
from models.repositories import agents as agents_repo
from va_app.domain.agents import notify, resolver, stats
from va_app.domain.agents.deployments import check_promotion_order, deploy, require_deploy_permission
from va_app.domain.agents.service import load_agent, require_active
from va_app.domain.errors import Conflict, InvalidInput, NotFound
from va_app.domain.identity.audit import audit
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.pagination import decode_cursor, encode_cursor

Metric = Literal["automation_rate", "error_rate", "handoff_rate", "latency_ms", "csat"]
# metric -> (kind, higher is better, label)
METRICS: dict[str, tuple[str, bool, str]] = {
    "automation_rate": ("rate", True, "automation rate"),
    "error_rate": ("rate", False, "error rate"),
    "handoff_rate": ("rate", False, "handoff rate"),
    "latency_ms": ("mean", False, "mean latency"),
    "csat": ("mean", True, "CSAT"),
}
ALPHA = 0.05
MIN_EVENTS_PER_VARIANT = 100


@dataclass(frozen=True)
class ExperimentInfo:
    id: str
    agent_id: str
    name: str
    hypothesis: str
    environment: str
    variants: list[dict[str, int]]
    primary_metric: str
    status: str
    winner_version: int | None
    started_at: dt.datetime
    stopped_at: dt.datetime | None
    stop_reason: str
    created_at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe(row: Experiment) -> ExperimentInfo:
    return ExperimentInfo(
        id=str(row.id),
        agent_id=str(row.agent_id),
        name=row.name,
        hypothesis=row.hypothesis,
        environment=row.environment,
        variants=[{"version": int(v["version"]), "percent": int(v["percent"])} for v in row.variants],
        primary_metric=row.primary_metric,
        status=row.status,
        winner_version=row.winner_version,
        started_at=row.started_at,
        stopped_at=row.stopped_at,
        stop_reason=row.stop_reason,
        created_at=row.created_at,
    )


def validate_variants(variants: list[dict[str, int]]) -> list[dict[str, int]]:
    cleaned = [{"version": int(v["version"]), "percent": int(v["percent"])} for v in variants]
    if len(cleaned) < 2:
        raise InvalidInput("an experiment needs at least two variants")
    if len({v["version"] for v in cleaned}) != len(cleaned):
        raise InvalidInput("each version may appear in one variant only")
    if any(not 1 <= v["percent"] <= 99 for v in cleaned) or sum(v["percent"] for v in cleaned) != 100:
        raise InvalidInput("variant percents must each be 1..99 and add up to 100")
    return cleaned


async def create_experiment(
    principal: Principal,
    agent: str,
    *,
    name: str,
    environment: str,
    variants: list[dict[str, int]],
    primary_metric: str,
    hypothesis: str = "",
) -> ExperimentInfo:
    """Start splitting traffic. The first variant is the control the others are compared with."""
    require_deploy_permission(principal, environment)
    if primary_metric not in METRICS:
        raise InvalidInput(f"primary_metric must be one of {', '.join(METRICS)}")
    cleaned = validate_variants(variants)
    async with db.session_scope() as session:
        row = await load_agent(session, principal, agent, for_update=True)
        require_active(row)
        for variant in cleaned:
            number = variant["version"]
            if (
                await agents_repo.get_version(
                    session=session, tenant_id=principal.tenant_id, agent_id=row.id, number=number
                )
                is None
            ):
                raise InvalidInput(f"agent '{row.slug}' has no version {number}")
            await check_promotion_order(session, principal.tenant_id, row.id, environment, number)
        if await agents_repo.running_experiment(
            session=session, tenant_id=principal.tenant_id, agent_id=row.id, environment=environment
        ):
            raise Conflict(f"an experiment already runs in {environment}", code="experiment_running")
        current = await agents_repo.current_deployment(
            session=session, tenant_id=principal.tenant_id, agent_id=row.id, environment=environment
        )
        if current is not None and current.status == "rolling_out":
            raise Conflict(f"a rollout is in progress in {environment}; finish it first", code="rollout_running")
        experiment = await agents_repo.create_experiment(
            session=session,
            tenant_id=principal.tenant_id,
            agent_id=row.id,
            fields={
                "name": name,
                "hypothesis": hypothesis,
                "environment": environment,
                "variants": cleaned,
                "primary_metric": primary_metric,
                "status": "running",
                "stop_reason": "",
                "created_by": principal.user_id,
            },
        )
        info = describe(experiment)
        await audit(session, principal, "agent.experiment.start", "experiment", experiment.id, after=info.as_dict())
    await resolver.invalidate(principal.tenant_id, row.id, environment)
    await notify.publish(
        principal.tenant_id,
        [
            notify.AgentEventSpec(
                str(row.id),
                "experiment.started",
                cleaned[0]["version"],
                environment,
                {"experiment_id": info.id, "variants": cleaned, "metric": primary_metric, "actor": principal.label},
            )
        ],
    )
    return info


async def _load(session: Any, principal: Principal, agent: str, experiment_id: uuid.UUID) -> Experiment:
    row = await load_agent(session, principal, agent)
    experiment = await agents_repo.get_experiment(
        session=session, tenant_id=principal.tenant_id, agent_id=row.id, experiment_id=experiment_id
    )
    if experiment is None:
        raise NotFound("experiment not found")
    return experiment


async def get_experiment(principal: Principal, agent: str, experiment_id: uuid.UUID) -> ExperimentInfo:
    async with db.session_scope() as session:
        return describe(await _load(session, principal, agent, experiment_id))


async def list_experiments(
    principal: Principal, agent: str, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[ExperimentInfo], str | None]:
    after = decode_cursor(cursor) if cursor else None
    async with db.session_scope() as session:
        row = await load_agent(session, principal, agent)
        rows = await agents_repo.list_experiments(
            session=session, tenant_id=principal.tenant_id, agent_id=row.id, limit=limit + 1, after=after
        )
    shown = rows[:limit]
    next_cursor = encode_cursor(shown[-1].created_at, shown[-1].id) if len(rows) > limit else None
    return [describe(r) for r in shown], next_cursor


def _variant_summary(row: dict[str, Any] | None, version: int, percent: int) -> dict[str, Any]:
    row = row or {}
    return {
        "version": version,
        "percent": percent,
        "events": int(row.get("events") or 0),
        "conversations": int(row.get("conversations") or 0),
        "automation_rate": row.get("automation_rate"),
        "error_rate": row.get("error_rate"),
        "handoff_rate": row.get("handoff_rate"),
        "latency_ms": row.get("latency_mean"),
        "latency_p95": row.get("latency_p95"),
        "csat": row.get("csat_mean"),
        "csat_responses": int(row.get("csat_count") or 0),
        "cost_usd": row.get("cost_usd"),
    }


def _compare(metric: str, control: dict[str, Any], other: dict[str, Any]) -> stats.TestResult:
    kind = METRICS[metric][0]
    if kind == "rate":
        column = {"automation_rate": "contained", "error_rate": "errors", "handoff_rate": "handoffs"}[metric]
        return stats.two_proportion_z(
            int(control.get(column) or 0),
            int(control.get("events") or 0),
            int(other.get(column) or 0),
            int(other.get("events") or 0),
        )
    prefix, count = ("latency", "events") if metric == "latency_ms" else ("csat", "csat_count")
    return stats.welch_t(
        float(control.get(f"{prefix}_mean") or 0),
        float(control.get(f"{prefix}_var") or 0),
        int(control.get(count) or 0),
        float(other.get(f"{prefix}_mean") or 0),
        float(other.get(f"{prefix}_var") or 0),
        int(other.get(count) or 0),
    )


def _fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if METRICS[metric][0] == "rate":
        return f"{value:.1%}"
    return f"{value:.0f} ms" if metric == "latency_ms" else f"{value:.2f}"


def analyse(
    metric: str, variants: list[dict[str, int]], frame: pl.DataFrame
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str, int | None]:
    """Pure: per-variant summaries, comparisons with the control, verdict, winner (or None)."""
    rows = {int(r["version"]): r for r in frame.to_dicts()} if not frame.is_empty() else {}
    summaries = [_variant_summary(rows.get(v["version"]), v["version"], v["percent"]) for v in variants]
    _kind, higher_better, label = METRICS[metric]
    control_v = variants[0]["version"]
    control = rows.get(control_v, {})
    alpha = ALPHA / max(1, len(variants) - 1)  # Bonferroni: k-1 comparisons with the control
    comparisons: list[dict[str, Any]] = []
    small = [s["version"] for s in summaries if s["events"] < MIN_EVENTS_PER_VARIANT]
    for variant in variants[1:]:
        other = rows.get(variant["version"], {})
        result = _compare(metric, control, other)
        c_value = _variant_summary(control, control_v, 0)[metric]
        o_value = _variant_summary(other, variant["version"], 0)[metric]
        diff = (o_value - c_value) if c_value is not None and o_value is not None else None
        better = diff is not None and ((diff > 0) == higher_better) and diff != 0
        comparisons.append(
            {
                "version": variant["version"],
                "against": control_v,
                "test": result.test,
                "statistic": round(result.statistic, 4),
                "p_value": result.p_value,
                "alpha": alpha,
                "difference": diff,
                "relative_lift": (diff / c_value) if diff is not None and c_value else None,
                "significant": result.p_value < alpha and not small,
                "better": better,
            }
        )
    if small:
        needed = MIN_EVENTS_PER_VARIANT
        verdict = (
            f"Not enough data yet: version(s) {', '.join(f'v{v}' for v in small)} have fewer than {needed} turns. "
            f"Keep the experiment running."
        )
        return summaries, comparisons, verdict, None
    winners = [c for c in comparisons if c["significant"] and c["better"]]
    losers = [c for c in comparisons if c["significant"] and not c["better"]]
    if winners:
        best = max(winners, key=lambda c: c["difference"] if higher_better else -c["difference"])
        winner_summary = next(s for s in summaries if s["version"] == best["version"])
        control_summary = summaries[0]
        verdict = (
            f"v{best['version']} wins on {label}: {_fmt(metric, winner_summary[metric])} vs "
            f"{_fmt(metric, control_summary[metric])} for the control v{control_v} "
            f"(p = {best['p_value']:.3g}, {best['test']}). Promote v{best['version']}."
        )
        return summaries, comparisons, verdict, int(best["version"])
    if losers and len(losers) == len(comparisons):
        verdict = (
            f"The control v{control_v} is significantly better on {label} than every other variant. Keep v{control_v}."
        )
        return summaries, comparisons, verdict, control_v
    lowest_p = min((c["p_value"] for c in comparisons), default=1.0)
    verdict = (
        f"No significant difference in {label} yet (lowest p = {lowest_p:.3g}, needs < {alpha:.3g}). "
        "Keep it running for more traffic, or stop it: the versions perform alike."
    )
    return summaries, comparisons, verdict, None


async def experiment_results(principal: Principal, agent: str, experiment_id: uuid.UUID) -> dict[str, Any]:
    async with db.session_scope() as session:
        experiment = await _load(session, principal, agent, experiment_id)
    info = describe(experiment)
    end = experiment.stopped_at or utcnow()
    frame = await clickhouse.run(
        version_stats,
        str(principal.tenant_id),
        info.agent_id,
        experiment.started_at,
        end,
        [v["version"] for v in info.variants],
        environment=info.environment,  # the experiment's environment only
    )
    summaries, comparisons, verdict, winner = analyse(info.primary_metric, info.variants, frame)
    return {
        "experiment": info.as_dict(),
        "window": {"start": experiment.started_at, "end": end},
        "environment": info.environment,
        "primary_metric": info.primary_metric,
        "variants": summaries,
        "comparisons": comparisons,
        "verdict": verdict,
        "winner_version": winner,
        "note": "Units are turns; turns of one conversation are correlated, so treat p-values near alpha with care.",
    }


async def stop_experiment(
    principal: Principal,
    agent: str,
    experiment_id: uuid.UUID,
    *,
    promote_winner: bool = False,
    version: int | None = None,
    reason: str = "",
) -> dict[str, Any]:
    """Stop; with ``promote_winner`` deploy the significant winner (or ``version``) to all traffic."""
    principal.require(Perm.AGENTS_DEPLOY)
    async with db.session_scope() as session:
        experiment = await _load(session, principal, agent, experiment_id)
        environment = experiment.environment
    require_deploy_permission(principal, environment)
    if experiment.status != "running":
        raise Conflict("the experiment is not running", code="experiment_stopped")
    results = await experiment_results(principal, agent, experiment_id)
    chosen = version if version is not None else results["winner_version"]
    variant_versions = {v["version"] for v in experiment.variants}
    if promote_winner and chosen is None:
        raise Conflict("no significant winner; pass 'version' to promote one anyway", code="no_winner")
    if chosen is not None and chosen not in variant_versions:
        raise InvalidInput(f"version {chosen} is not a variant of this experiment")
    now = utcnow()
    async with db.session_scope() as session:
        row = await _load(session, principal, agent, experiment_id)
        if row.status != "running":
            raise Conflict("the experiment is not running", code="experiment_stopped")
        before = describe(row).as_dict()
        row.status = "stopped"
        row.stopped_at = now
        row.stop_reason = reason or results["verdict"]
        row.winner_version = chosen if promote_winner else results["winner_version"]
        row.updated_at = now
        await session.flush()
        info = describe(row)
        await audit(
            session, principal, "agent.experiment.stop", "experiment", row.id, before=before, after=info.as_dict()
        )
    await resolver.invalidate(principal.tenant_id, info.agent_id, environment)
    await notify.publish(
        principal.tenant_id,
        [
            notify.AgentEventSpec(
                info.agent_id,
                "experiment.stopped",
                info.winner_version or 0,
                environment,
                {"experiment_id": info.id, "verdict": results["verdict"], "actor": principal.label},
            )
        ],
    )
    deployment = None
    if promote_winner and chosen is not None:
        deployment = await deploy(
            principal,
            info.agent_id,
            version=chosen,
            environment=environment,
            reason=f"winner of experiment '{info.name}'",
        )
    return {
        "experiment": info.as_dict(),
        "results": results,
        "deployment": deployment.as_dict() if deployment else None,
    }
