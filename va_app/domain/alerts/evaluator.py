"""The alert evaluator: every rule of a tenant against what is happening now.

``evaluate_tenant`` gathers findings — threshold rules from the raw events of each
rule's last ``for_minutes`` (exact window, exact quantiles), anomaly rules from
:func:`analytics.anomaly.detect` (hourly series over four weeks; only anomalies in the last
complete buckets count as "now"),
deployment rules from ``deployment_events`` — then :func:`lifecycle.plan` decides what opens,
updates and resolves, and the changes are stored, published and handed to the notifiers
after commit. A transaction-level advisory lock makes one replica evaluate a tenant at a
time; the partial unique index on open fingerprints backs that up.

The web process runs :func:`run_alert_evaluator`; tests call :func:`evaluate_tenant` with
``now``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from analytics import anomaly
from analytics.queries import metrics as mq
from core import clickhouse, db
from models.alerts import AlertRule
from models.base import utcnow
from models.repositories import alerts as repo
from va_app.domain.alerts import lifecycle, notify
from va_app.domain.alerts.rules import DEPLOYMENT_FAILURE_KINDS, OPS
from va_app.domain.alerts.service import ensure_default_rules, notification

log = logging.getLogger(__name__)
DEFAULT_INTERVAL_S = 60.0
ANOMALY_LOOKBACK_DAYS = 28
ANOMALY_REPORT_BUCKETS = 2  # an anomaly in the last two complete buckets is "now"
BUCKET = dt.timedelta(hours=1)
# per process: (tenant, sensitivity, metrics, end of the last complete bucket) -> anomalies
_detections: dict[tuple[str, str, tuple[str, ...], dt.datetime], list[anomaly.Anomaly]] = {}


@dataclass
class Evaluation:
    tenant_id: str
    opened: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    skipped: bool = False
    findings: list[lifecycle.Finding] = field(default_factory=list)


def _format(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if metric in ("error_rate", "handoff_rate", "automation_rate", "cache_hit_rate"):
        return f"{value:.2%}"
    if metric.startswith("latency"):
        return f"{value:.0f} ms"
    if metric == "cost_usd":
        return f"${value:.4f}"
    return f"{value:.4g}"


def _threshold_findings(tenant_id: str, rules: list[AlertRule], now: dt.datetime) -> list[lifecycle.Finding]:
    """KPIs per agent over each rule's window (one query per distinct window)."""
    findings: list[lifecycle.Finding] = []
    by_window: dict[int, list[AlertRule]] = defaultdict(list)
    for rule in rules:
        by_window[rule.for_minutes].append(rule)
    for minutes, window_rules in by_window.items():
        # raw events over the exact window: the hourly rollup cannot answer "the last 5 minutes"
        start = now - dt.timedelta(minutes=minutes)
        query = mq.MetricQuery(tenant_id, start, now, "total", dimension="agent", source="raw")
        frame = mq.metrics(query, kind="alert_threshold")
        rows = [] if frame.is_empty() else frame.rename({"dimension": "agent_id"}).to_dicts()
        findings += match_thresholds(window_rules, rows, minutes, now)
    return findings


def match_thresholds(
    rules: list[Any], rows: list[dict[str, Any]], minutes: int, now: dt.datetime
) -> list[lifecycle.Finding]:
    """Pure: which (rule, agent) pairs breach, given one KPI row per agent over the window.

    A window with fewer than the rule's ``min_events`` turns is skipped: one failed turn out
    of three is not a 33 % error rate worth waking anyone for.
    """
    findings: list[lifecycle.Finding] = []
    for rule in rules:
        metric = rule.metrics[0]
        compare = OPS[rule.op or ">"]
        min_events = int((rule.params or {}).get("min_events", 0))
        for row in rows:
            agent_id = str(row["agent_id"])
            value = row.get(metric)
            events = int(row.get("events") or 0)
            if (rule.agent_id and rule.agent_id != agent_id) or value is None or events < min_events:
                continue
            if not compare(float(value), float(rule.value or 0.0)):
                continue
            shown = _format(metric, float(value))
            findings.append(
                lifecycle.Finding(
                    rule_id=rule.id,
                    kind="threshold",
                    severity=rule.severity,
                    agent_id=agent_id,
                    metric=metric,
                    title=f"{rule.name}: {shown} on agent {agent_id}",
                    summary=(
                        f"{metric} was {shown} over the last {minutes} min ({events} turns); "
                        f"rule: {metric} {rule.op} {_format(metric, rule.value)}"
                    ),
                    value=float(value),
                    threshold=rule.value,
                    link=notify.chart_link(agent_id, metric, now - dt.timedelta(hours=6), now),
                    details={"events": events, "window_minutes": minutes},
                )
            )
    return findings


def _anomaly_findings(tenant_id: str, rules: list[AlertRule], now: dt.datetime) -> list[lifecycle.Finding]:
    """Run the detectors once per sensitivity and match anomalies to rules."""
    end = now.replace(minute=0, second=0, microsecond=0)
    findings: list[lifecycle.Finding] = []
    by_sensitivity: dict[str, list[AlertRule]] = defaultdict(list)
    for rule in rules:
        by_sensitivity[rule.sensitivity].append(rule)
    for sensitivity, group in by_sensitivity.items():
        wanted = tuple(sorted({m for r in group for m in r.metrics} | {"events"}))
        key = (tenant_id, sensitivity, wanted, end)
        anomalies = _detections.get(key)
        if anomalies is None:  # hourly buckets: the answer only changes once an hour
            anomalies = anomaly.detect(
                tenant_id,
                None,
                end,
                ANOMALY_LOOKBACK_DAYS,
                metric_names=wanted,
                sensitivity=sensitivity,
                report_hours=ANOMALY_REPORT_BUCKETS * BUCKET.total_seconds() / 3600,
            )
            for stale in [k for k in _detections if k[0] == tenant_id and k[3] != end]:
                del _detections[stale]
            _detections[key] = anomalies
        for rule in group:
            min_change = float((rule.params or {}).get("min_change", 0.0))
            latest: dict[tuple[str, str], anomaly.Anomaly] = {}
            for found in anomalies:
                if found.metric not in rule.metrics or (rule.agent_id and rule.agent_id != found.agent_id):
                    continue
                if min_change and abs(found.change) < min_change:
                    continue
                latest[(found.agent_id, found.metric)] = found  # anomalies are in time order
            for (agent_id, metric), found in latest.items():
                findings.append(
                    lifecycle.Finding(
                        rule_id=rule.id,
                        kind="anomaly",
                        severity=rule.severity,
                        agent_id=agent_id,
                        metric=metric,
                        title=(
                            f"{metric} anomaly on agent {agent_id}: {_format(metric, found.value)} "
                            f"({found.change:+.0%} vs expected)"
                        ),
                        summary=(
                            f"{metric} was {_format(metric, found.value)} in the hour from "
                            f"{found.bucket:%Y-%m-%d %H:%M} UTC; "
                            f"expected {_format(metric, found.expected)} (band {_format(metric, found.lower)}"
                            f" - {_format(metric, found.upper)}), detector {found.detector}, score {found.score:.1f}"
                        ),
                        value=found.value,
                        threshold=found.upper,
                        link=notify.chart_link(agent_id, metric, found.bucket - dt.timedelta(days=2), end),
                        details={k: v for k, v in found.as_dict().items() if k != "bucket"}
                        | {"bucket": found.bucket.isoformat()},
                    )
                )
    return findings


async def _deployment_findings(
    session: Any, tenant_id: uuid.UUID, rules: list[AlertRule], now: dt.datetime
) -> list[lifecycle.Finding]:
    findings: list[lifecycle.Finding] = []
    for rule in rules:
        window = int((rule.params or {}).get("window_minutes", 60))
        events = await repo.recent_deployment_failures(
            session=session,
            tenant_id=tenant_id,
            kinds=DEPLOYMENT_FAILURE_KINDS,
            since=now - dt.timedelta(minutes=window),
        )
        seen: set[str] = set()
        for event in events:  # newest first: one finding per agent
            agent_id = str(event.agent_id)
            if agent_id in seen or (rule.agent_id and rule.agent_id != agent_id):
                continue
            seen.add(agent_id)
            findings.append(
                lifecycle.Finding(
                    rule_id=rule.id,
                    kind="deployment",
                    severity=rule.severity,
                    agent_id=agent_id,
                    metric="deployment",
                    title=f"deployment of agent {agent_id} in {event.environment}: {event.kind}",
                    summary=f"{event.kind} v{event.from_version} -> v{event.to_version}: {event.reason or 'no reason'}",
                    value=None,
                    threshold=None,
                    link=notify.chart_link(agent_id, "error_rate", event.created_at - dt.timedelta(hours=2), now),
                    details={"deployment_id": str(event.deployment_id), "environment": event.environment},
                )
            )
    return findings


def _json_safe(details: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in details.items():
        if isinstance(value, float) and not math.isfinite(value):  # NaN and inf are not JSON
            value = None
        elif isinstance(value, dt.datetime):
            value = value.isoformat()
        out[key] = value
    return out


async def evaluate_tenant(tenant_id: uuid.UUID | str, now: dt.datetime | None = None) -> Evaluation:
    """Evaluate every enabled rule of one tenant once and apply the lifecycle."""
    tenant = uuid.UUID(str(tenant_id))
    now = now or utcnow()
    result = Evaluation(str(tenant))
    notes: list[notify.AlertNotification] = []
    async with db.session_scope() as session:
        if not await repo.try_lock_tenant(session=session, tenant_id=tenant):
            result.skipped = True  # another replica is on it
            return result
        await ensure_default_rules(session, tenant)
        rules = await repo.list_rules(session=session, tenant_id=tenant, enabled_only=True)
        findings: list[lifecycle.Finding] = []
        evaluated: set[uuid.UUID] = set()
        kinds: dict[str, list[AlertRule]] = defaultdict(list)
        for rule in rules:
            kinds[rule.kind].append(rule)
        steps = (
            ("threshold", _threshold_findings),
            ("anomaly", _anomaly_findings),
        )
        for kind, step in steps:
            if not kinds[kind]:
                continue
            try:
                findings += await clickhouse.run(step, str(tenant), kinds[kind], now)
                evaluated |= {r.id for r in kinds[kind]}
            except Exception:  # ClickHouse away: keep these alerts as they are, evaluate the rest
                log.exception("alert %s step failed", kind, extra={"tenant_id": str(tenant)})
        if kinds["deployment"]:
            findings += await _deployment_findings(session, tenant, kinds["deployment"], now)
            evaluated |= {r.id for r in kinds["deployment"]}
        result.findings = findings
        open_alerts = await repo.open_alerts(session=session, tenant_id=tenant)
        plan = lifecycle.plan(open_alerts, findings, evaluated, {r.id for r in rules})
        for alert, finding in plan.update:
            alert.last_seen_at = now
            alert.value = finding.value
            alert.threshold = finding.threshold
            alert.summary = finding.summary
            alert.details = _json_safe(finding.details)
            result.updated.append(str(alert.id))
        for alert in plan.resolve:
            alert.state = "resolved"
            alert.resolved_at = now
            alert.resolved_by = "auto: condition cleared"
            result.resolved.append(str(alert.id))
        await session.flush()
        notes += [notification(a, "resolved") for a in plan.resolve]
        for finding in plan.open:
            created = await repo.create_alert(
                session=session,
                tenant_id=tenant,
                fields={
                    "rule_id": finding.rule_id,
                    "fingerprint": finding.fingerprint,
                    "group_key": lifecycle.group_key(tenant, finding.agent_id),
                    "agent_id": finding.agent_id,
                    "metric": finding.metric,
                    "kind": finding.kind,
                    "severity": finding.severity,
                    "state": "firing",
                    "title": finding.title[:300],
                    "summary": finding.summary,
                    "value": finding.value,
                    "threshold": finding.threshold,
                    "details": _json_safe(finding.details),
                    "link": finding.link,
                    "started_at": now,
                    "last_seen_at": now,
                    "created_at": now,
                },
            )
            result.opened.append(str(created.id))
            notes.append(notification(created, "firing"))
    await notify.deliver(notes)
    if result.opened or result.resolved:
        log.info(
            "alerts evaluated",
            extra={"tenant_id": str(tenant), "opened": len(result.opened), "resolved": len(result.resolved)},
        )
    return result


async def evaluate_all(now: dt.datetime | None = None) -> list[Evaluation]:
    async with db.session_scope() as session:
        tenants = await repo.active_tenant_ids(session=session)
    out = []
    for tenant_id in tenants:
        try:
            out.append(await evaluate_tenant(tenant_id, now))
        except Exception:  # one tenant's broken rule must not stop the others being watched
            log.exception("alert evaluation failed", extra={"tenant_id": str(tenant_id)})
    return out


async def run_alert_evaluator(stop_event: asyncio.Event, interval_s: float = DEFAULT_INTERVAL_S) -> None:
    """Evaluate every tenant every ``interval_s`` until ``stop_event`` is set."""
    while not stop_event.is_set():
        try:
            await evaluate_all()
        except Exception:  # the database may be briefly away; try again next tick
            log.exception("alert evaluator tick failed")
        try:
            await asyncio.wait_for(stop_event.wait(), interval_s)
        except TimeoutError:
            continue
