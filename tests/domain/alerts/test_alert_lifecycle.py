"""Alert lifecycle (fire, dedup, resolve), rule validation and threshold matching: no backends."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from va_app.domain.alerts import lifecycle
from va_app.domain.alerts.evaluator import match_thresholds
from va_app.domain.alerts.notify import chart_link
from va_app.domain.alerts.rules import default_rules, validate_rule
from va_app.domain.errors import InvalidInput

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@dataclass
class FakeAlert:
    rule_id: uuid.UUID | None
    fingerprint: str
    state: str = "firing"
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass
class FakeRule:
    metrics: list[str]
    op: str
    value: float
    severity: str = "critical"
    name: str = "rule"
    agent_id: str | None = None
    params: dict[str, Any] = field(default_factory=lambda: {"min_events": 20})
    id: uuid.UUID = field(default_factory=uuid.uuid4)


def _finding(rule_id: uuid.UUID, agent: str = "a1", metric: str = "error_rate") -> lifecycle.Finding:
    return lifecycle.Finding(rule_id, "threshold", "critical", agent, metric, "t", "s", 0.2, 0.01, "/analytics")


def test_fire_then_update_then_resolve() -> None:
    rule = uuid.uuid4()
    first = lifecycle.plan([], [_finding(rule)], {rule}, {rule})
    assert len(first.open) == 1 and not first.update and not first.resolve

    stored = FakeAlert(rule, first.open[0].fingerprint)
    again = lifecycle.plan([stored], [_finding(rule)], {rule}, {rule})
    assert not again.open, "a persisting condition must not open a second alert"
    assert [a for a, _ in again.update] == [stored]

    stored.state = "acknowledged"
    still = lifecycle.plan([stored], [_finding(rule)], {rule}, {rule})
    assert not still.open and still.update

    cleared = lifecycle.plan([stored], [], {rule}, {rule})
    assert cleared.resolve == [stored] and not cleared.open


def test_duplicate_findings_open_one_alert_and_metrics_are_separate() -> None:
    rule = uuid.uuid4()
    findings = [_finding(rule), _finding(rule), _finding(rule, metric="latency_p95"), _finding(rule, agent="a2")]
    planned = lifecycle.plan([], findings, {rule}, {rule})
    assert len(planned.open) == 3
    assert len({f.fingerprint for f in planned.open}) == 3


def test_unevaluated_rules_keep_their_alerts_and_deleted_rules_resolve() -> None:
    rule, gone = uuid.uuid4(), uuid.uuid4()
    kept = FakeAlert(rule, lifecycle.fingerprint(rule, "a1", "error_rate"))
    orphan = FakeAlert(gone, lifecycle.fingerprint(gone, "a1", "error_rate"))
    planned = lifecycle.plan([kept, orphan], [], evaluated_rules=set(), live_rules={rule})
    assert planned.resolve == [orphan]


def test_resolved_alert_does_not_block_a_new_one() -> None:
    rule = uuid.uuid4()
    old = FakeAlert(rule, lifecycle.fingerprint(rule, "a1", "error_rate"), state="resolved")
    planned = lifecycle.plan([old], [_finding(rule)], {rule}, {rule})
    assert len(planned.open) == 1


def test_group_key_is_per_tenant_and_agent() -> None:
    tenant = uuid.uuid4()
    assert lifecycle.group_key(tenant, "a1") == lifecycle.group_key(tenant, "a1")
    assert lifecycle.group_key(tenant, "a1") != lifecycle.group_key(tenant, "a2")


def test_threshold_matching() -> None:
    error_rule = FakeRule(["error_rate"], ">", 0.01)
    latency_rule = FakeRule(["latency_p95"], ">", 500.0, severity="warning", agent_id="a2")
    rows = [
        {"agent_id": "a1", "events": 100, "error_rate": 0.05, "latency_p95": 900.0},
        {"agent_id": "a2", "events": 100, "error_rate": 0.005, "latency_p95": 700.0},
        {"agent_id": "a3", "events": 5, "error_rate": 0.6, "latency_p95": 100.0},  # too quiet to judge
        {"agent_id": "a4", "events": 100, "error_rate": None, "latency_p95": None},
    ]
    found = match_thresholds([error_rule, latency_rule], rows, 5, NOW)
    assert {(f.agent_id, f.metric) for f in found} == {("a1", "error_rate"), ("a2", "latency_p95")}
    first = next(f for f in found if f.agent_id == "a1")
    assert first.value == 0.05 and first.threshold == 0.01 and first.severity == "critical"
    assert "5.00%" in first.title and first.link.startswith("/analytics?agent=a1&metric=error_rate")


def test_threshold_boundary_uses_the_operator() -> None:
    rows = [{"agent_id": "a1", "events": 50, "error_rate": 0.01}]
    assert not match_thresholds([FakeRule(["error_rate"], ">", 0.01)], rows, 5, NOW)
    assert match_thresholds([FakeRule(["error_rate"], ">=", 0.01)], rows, 5, NOW)


def test_defaults_follow_the_platform_spec() -> None:
    rules = {(r.kind, tuple(r.metrics)): r for r in default_rules()}
    latency = rules[("threshold", ("latency_p95",))]
    assert (latency.op, latency.value, latency.severity) == (">", 500.0, "warning")
    errors = rules[("threshold", ("error_rate",))]
    assert (errors.op, errors.value, errors.severity) == (">", 0.01, "critical")
    assert rules[("deployment", ())].severity == "critical"
    cost = rules[("anomaly", ("cost_usd",))]
    assert cost.params["min_change"] == 0.2 and cost.severity == "warning"


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "threshold", "severity": "warning", "metric": "error_rate", "op": ">"},  # no value
        {"kind": "threshold", "severity": "warning", "metric": "error_rate", "op": "!=", "value": 0.1},
        {"kind": "threshold", "severity": "warning", "metric": "error_rate", "op": ">", "value": 3},
        {"kind": "threshold", "severity": "loud", "metric": "error_rate", "op": ">", "value": 0.1},
        {"kind": "threshold", "severity": "warning", "metric": "nope", "op": ">", "value": 1},
        {"kind": "anomaly", "severity": "warning", "metrics": ["csat"]},
        {"kind": "anomaly", "severity": "warning", "metrics": []},
        {"kind": "anomaly", "severity": "warning", "metrics": ["events"], "sensitivity": "max"},
        {"kind": "sms", "severity": "warning"},
    ],
)
def test_invalid_rules_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        validate_rule(**fields)


def test_chart_link_names_agent_metric_and_range() -> None:
    link = chart_link("a 1", "cost_usd", NOW - dt.timedelta(hours=6), NOW)
    assert link == "/analytics?agent=a+1&metric=cost_usd&from=2026-11-20T06%3A00%3A00Z&to=2026-11-20T12%3A00%3A00Z"
