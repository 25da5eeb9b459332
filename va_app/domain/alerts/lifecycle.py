"""The alert lifecycle as a pure function: findings in, transitions out.

``firing -> acknowledged -> resolved``; an alert resolves by itself when its condition
clears. One open alert per fingerprint (rule + agent + metric): a condition that persists
updates the open alert instead of opening another, and a condition that returns after a
resolve opens a new one. Alerts are grouped per tenant and agent (``group_key``) so a burst
across metrics reads as one incident. Keeping this free of I/O makes the rules testable in
microseconds and identical in every replica.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Finding:
    """A rule's condition holds for one agent and metric right now."""

    rule_id: uuid.UUID
    kind: str
    severity: str
    agent_id: str
    metric: str
    title: str
    summary: str
    value: float | None
    threshold: float | None
    link: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.rule_id, self.agent_id, self.metric)


class OpenAlert(Protocol):
    """What the planner needs from a stored alert."""

    id: uuid.UUID
    rule_id: uuid.UUID | None
    fingerprint: str
    state: str


@dataclass
class Plan:
    open: list[Finding] = field(default_factory=list)
    update: list[tuple[Any, Finding]] = field(default_factory=list)
    resolve: list[Any] = field(default_factory=list)


def fingerprint(rule_id: uuid.UUID | str, agent_id: str, metric: str) -> str:
    return f"{rule_id}:{agent_id or '*'}:{metric or '*'}"


def group_key(tenant_id: uuid.UUID | str, agent_id: str) -> str:
    return f"{tenant_id}:{agent_id or '*'}"


def plan(
    open_alerts: Iterable[Any],
    findings: Iterable[Finding],
    evaluated_rules: set[uuid.UUID],
    live_rules: set[uuid.UUID],
) -> Plan:
    """Transitions for one evaluation.

    Only alerts whose rule was actually evaluated may auto-resolve: when ClickHouse was away
    for the anomaly step, its alerts stay as they are rather than flapping to resolved.
    Alerts of deleted or disabled rules resolve.
    """
    out = Plan()
    by_fingerprint: dict[str, Finding] = {}
    for finding in findings:
        by_fingerprint.setdefault(finding.fingerprint, finding)
    seen: set[str] = set()
    for alert in open_alerts:
        if alert.state not in ("firing", "acknowledged"):
            continue
        current = by_fingerprint.get(alert.fingerprint)
        if current is not None and alert.fingerprint not in seen:
            out.update.append((alert, current))
            seen.add(alert.fingerprint)
        elif alert.rule_id is None or alert.rule_id not in live_rules or alert.rule_id in evaluated_rules:
            out.resolve.append(alert)
    out.open = [f for fp, f in by_fingerprint.items() if fp not in seen]
    return out
