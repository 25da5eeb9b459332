"""``agent.events`` on the event bus: one envelope per lifecycle transition.

Published after the database commit, so a consumer never hears of a transition that was
rolled back. A bus outage must not undo a committed deploy or rollback (the database row and
the deployment history are the record), so a failed publish is logged and counted, not raised.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from core.events import validate_event
from va_app.domain.hooks import Hooks
from va_app.domain.ingestion.publisher import publish_events

log = logging.getLogger(__name__)
TOPIC = "agent.events"

ServingChanged = Callable[[uuid.UUID | str, uuid.UUID | str], Awaitable[None]]
"""``(tenant_id, agent_id)``: what an agent serves changed (deploy, promotion, rollback)."""

serving_changed: Hooks[ServingChanged] = Hooks("serving change")
"""In-process receivers of serving changes, run before the bus event goes out: the
conversation caches forget the agent's answers (plugged in by :mod:`va_app.runtime`)."""


@dataclass(frozen=True)
class AgentEventSpec:
    agent_id: str
    kind: str
    version: int = 0
    environment: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def envelope(tenant_id: uuid.UUID | str, spec: AgentEventSpec) -> dict[str, Any]:
    raw = {
        "type": TOPIC,
        "source": "agents",
        "payload": {
            "agent_id": spec.agent_id,
            "kind": spec.kind,
            "version": spec.version,
            "environment": spec.environment,
            "details": spec.details,
        },
    }
    return validate_event(raw, str(tenant_id), fresh_id=True).model_dump()


async def publish(tenant_id: uuid.UUID | str, specs: list[AgentEventSpec]) -> None:
    if not specs:
        return
    try:
        await publish_events(TOPIC, str(tenant_id), [envelope(tenant_id, s) for s in specs])
    except Exception:
        log.exception("could not publish agent events", extra={"kinds": [s.kind for s in specs]})
