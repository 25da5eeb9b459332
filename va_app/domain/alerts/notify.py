"""Where alert state changes go: the event bus, and any registered notifier.

The integration hub registers webhook, Slack or e-mail senders with
:func:`register_notifier`; tests register a list's ``append``. Notifiers run after the
database commit, one at a time, and a failing one is logged and skipped: an unreachable
Slack must never stop an alert from being recorded or the other notifiers from running.
Each state change is also published on the bus as an ``analytics.metrics`` event named
``alert`` (dimensions: state, severity, rule, agent, metric), so dashboards can count alerts
without a schema change.
"""

from __future__ import annotations

import datetime as dt
import logging
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from core.events import validate_event
from va_app.domain.hooks import Hooks
from va_app.domain.ingestion.publisher import publish_events

log = logging.getLogger(__name__)
TOPIC = "analytics.metrics"
CONSOLE_PATH = "/analytics"


@dataclass(frozen=True)
class AlertNotification:
    tenant_id: str
    alert_id: str
    transition: str  # firing | acknowledged | resolved
    state: str
    severity: str
    kind: str
    title: str
    summary: str
    rule_id: str | None
    agent_id: str
    metric: str
    group_key: str
    value: float | None
    threshold: float | None
    link: str
    started_at: dt.datetime
    at: dt.datetime
    actor: str = "alert-evaluator"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Notifier = Callable[[AlertNotification], Awaitable[None] | None]
notifiers: Hooks[Notifier] = Hooks("alert notifier")
register_notifier = notifiers.register  # sync or async; returns a function that removes it again


def chart_link(agent_id: str, metric: str, start: dt.datetime, end: dt.datetime) -> str:
    """The console chart of this agent and metric around the incident."""
    query = {"agent": agent_id, "metric": metric, "from": _iso(start), "to": _iso(end)}
    return f"{CONSOLE_PATH}?{urllib.parse.urlencode({k: v for k, v in query.items() if v})}"


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def envelope(note: AlertNotification) -> dict[str, Any]:
    raw = {
        "type": TOPIC,
        "source": "alerts",
        "payload": {
            "name": "alert",
            "value": 1.0,
            "agent_id": note.agent_id[:200],
            "dimensions": {
                "state": note.state,
                "transition": note.transition,
                "severity": note.severity,
                "rule": note.rule_id or "",
                "agent": note.agent_id,
                "metric": note.metric,
                "alert_id": note.alert_id,
                "group": note.group_key,
            },
        },
    }
    return validate_event(raw, note.tenant_id, fresh_id=True).model_dump()


async def deliver(notes: list[AlertNotification]) -> None:
    """Publish and notify, after commit; failures are logged, never raised."""
    if not notes:
        return
    by_tenant: dict[str, list[dict[str, Any]]] = {}
    for note in notes:
        by_tenant.setdefault(note.tenant_id, []).append(envelope(note))
    for tenant_id, events in by_tenant.items():
        try:
            await publish_events(TOPIC, tenant_id, events)
        except Exception:  # the database row is the record; the bus message is a courtesy
            log.exception("could not publish alert events", extra={"count": len(events)})
    for note in notes:
        await notifiers.notify_all(note, extra={"alert_id": note.alert_id})
