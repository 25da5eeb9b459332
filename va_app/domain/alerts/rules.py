"""What an alert rule may say, the platform's default rules, and how a rule is shown.

Three kinds: ``threshold`` (a KPI over the last ``for_minutes`` compared with a value),
``anomaly`` (the detectors of :mod:`analytics.anomaly` flag a KPI, optionally only when it is
at least ``min_change`` above its expected value) and ``deployment`` (a rollout was rolled
back or a deploy failed). Validation lives here so the API, the console and the CLI accept
exactly the same rules.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from analytics.anomaly import METRICS as ANOMALY_METRICS
from va_app.domain.errors import InvalidInput

KINDS = ("threshold", "anomaly", "deployment")
SEVERITIES = ("info", "warning", "critical")
SENSITIVITIES = ("low", "medium", "high")
OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
THRESHOLD_METRICS = (
    "events",
    "error_rate",
    "handoff_rate",
    "automation_rate",
    "cache_hit_rate",
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "cost_usd",
    "csat",
)
RATE_METRICS = {"error_rate", "handoff_rate", "automation_rate", "cache_hit_rate"}
DEPLOYMENT_FAILURE_KINDS = ("rollout.rolled_back", "deployment.rolled_back", "deployment.failed")
MAX_FOR_MINUTES = 24 * 60


@dataclass(frozen=True)
class RuleSpec:
    """A validated rule, before it is stored."""

    name: str
    kind: str
    severity: str
    metrics: list[str] = field(default_factory=list)
    op: str | None = None
    value: float | None = None
    agent_id: str | None = None
    for_minutes: int = 5
    sensitivity: str = "medium"
    params: dict[str, Any] = field(default_factory=dict)

    def as_fields(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RuleView:
    id: str
    name: str
    kind: str
    severity: str
    metrics: list[str]
    op: str | None
    value: float | None
    agent_id: str | None
    for_minutes: int
    sensitivity: str
    params: dict[str, Any]
    enabled: bool
    is_default: bool
    created_by: str
    created_at: dt.datetime


def validate_rule(
    *,
    kind: str,
    severity: str,
    name: str | None = None,
    metric: str | None = None,
    metrics: list[str] | None = None,
    op: str | None = None,
    value: float | None = None,
    agent_id: str | None = None,
    for_minutes: int = 5,
    sensitivity: str = "medium",
    min_change: float | None = None,
    min_events: int | None = None,
    window_minutes: int | None = None,
    email_to: list[str] | None = None,
    slack_channel: str | None = None,
) -> RuleSpec:
    """A :class:`RuleSpec`, or :class:`InvalidInput` saying what is wrong."""
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {KINDS}")
    if severity not in SEVERITIES:
        raise InvalidInput(f"severity must be one of {SEVERITIES}")
    if not 1 <= for_minutes <= MAX_FOR_MINUTES:
        raise InvalidInput(f"for_minutes must be between 1 and {MAX_FOR_MINUTES}")
    chosen = list(metrics or ([metric] if metric else []))
    params: dict[str, Any] = {}
    if kind == "threshold":
        if len(chosen) != 1 or chosen[0] not in THRESHOLD_METRICS:
            raise InvalidInput(f"a threshold rule watches one metric of {THRESHOLD_METRICS}")
        if op not in OPS:
            raise InvalidInput(f"op must be one of {tuple(OPS)}")
        if value is None:
            raise InvalidInput("a threshold rule needs a value")
        if chosen[0] in RATE_METRICS and not 0 <= value <= 1:
            raise InvalidInput(f"{chosen[0]} is a share between 0 and 1")
        params["min_events"] = 20 if min_events is None else min_events
    elif kind == "anomaly":
        unknown = [m for m in chosen if m not in ANOMALY_METRICS]
        if not chosen or unknown:
            raise InvalidInput(f"an anomaly rule watches metrics of {tuple(ANOMALY_METRICS)}")
        if sensitivity not in SENSITIVITIES:
            raise InvalidInput(f"sensitivity must be one of {SENSITIVITIES}")
        if min_change is not None and not 0 <= min_change <= 100:
            raise InvalidInput("min_change is a relative change (0.2 = 20 %)")
        params["min_change"] = min_change or 0.0
        op, value = None, None
    else:
        chosen, op, value = [], None, None
        params["window_minutes"] = window_minutes or 60
    if min_events is not None and min_events < 0:
        raise InvalidInput("min_events must be >= 0")
    if email_to:
        bad = [a for a in email_to if "@" not in a or "." not in a.partition("@")[2] or " " in a]
        if bad:
            raise InvalidInput(f"not e-mail addresses: {', '.join(bad[:3])}")
        params["email_to"] = [a.strip().lower() for a in email_to][:20]
    if slack_channel:
        if not (slack_channel.startswith("#") or slack_channel.startswith("C")) or len(slack_channel) > 80:
            raise InvalidInput("slack_channel must be a channel name like #alerts or a channel id")
        params["slack_channel"] = slack_channel
    label = name or _default_name(kind, chosen, op, value)
    return RuleSpec(
        name=label[:200],
        kind=kind,
        severity=severity,
        metrics=chosen,
        op=op,
        value=value,
        agent_id=agent_id or None,
        for_minutes=for_minutes,
        sensitivity=sensitivity,
        params=params,
    )


def _default_name(kind: str, metrics: list[str], op: str | None, value: float | None) -> str:
    if kind == "threshold":
        return f"{metrics[0]} {op} {value:g}"
    if kind == "anomaly":
        return f"anomaly on {', '.join(metrics)}"
    return "agent deployment failure"


def default_rules() -> list[RuleSpec]:
    """The platform spec's defaults, created once per tenant (deleting one is remembered)."""
    return [
        validate_rule(
            kind="threshold",
            name="p95 response time above 500 ms",
            metric="latency_p95",
            op=">",
            value=500.0,
            severity="warning",
        ),
        validate_rule(
            kind="threshold", name="error rate above 1 %", metric="error_rate", op=">", value=0.01, severity="critical"
        ),
        validate_rule(kind="deployment", name="agent deployment failed or rolled back", severity="critical"),
        validate_rule(
            kind="anomaly",
            name="cost anomaly: more than 20 % above expected",
            metrics=["cost_usd"],
            min_change=0.2,
            severity="warning",
        ),
    ]
