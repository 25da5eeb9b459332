"""``POST /api/v1/analytics/events``: validate each event, publish the good ones, dead-letter
the bad ones with their reason, and tell the caller which were which.

The tenant always comes from the caller's key. When the ingest backlog is above the
configured bound, producers are told to retry later instead of growing the bus unboundedly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import orjson

from core import cache, keys
from core.config import get_settings
from core.events import DEAD_LETTER_TOPIC, MAX_BATCH, MAX_EVENT_BYTES, validate_event
from core.metrics import EVENTS_REJECTED
from va_app.domain.errors import InvalidInput, Unavailable
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.ingestion import agent_refs
from va_app.domain.ingestion.publisher import publish_events, shared_bus


@dataclass
class Rejection:
    index: int
    reason: str


@dataclass
class IngestResult:
    accepted: int = 0
    rejected: int = 0
    event_ids: list[str] = field(default_factory=list)
    errors: list[Rejection] = field(default_factory=list)


def normalise_body(body: Any) -> list[Any]:
    """Accept one event, a list of events, or ``{"events": [...]}``."""
    if isinstance(body, list):
        events = body
    elif isinstance(body, dict) and "events" in body and "type" not in body:
        events = body["events"]
        if not isinstance(events, list):
            raise InvalidInput("'events' must be a list")
    elif isinstance(body, dict):
        events = [body]
    else:
        raise InvalidInput("body must be an event object, a list of events, or {'events': [...]}")
    if not events:
        raise InvalidInput("no events in the request")
    if len(events) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} events per request; got {len(events)}")
    return events


async def check_backlog() -> None:
    raw = await cache.get_redis().get(keys.INGEST_LAG)
    backlog = int(raw) if raw else 0
    if backlog > get_settings().ingest.max_backlog:
        raise Unavailable(f"ingest backlog is {backlog} messages; retry in a few seconds")


async def ingest_events(principal: Principal, raw_events: list[Any]) -> IngestResult:
    principal.require(Perm.EVENTS_INGEST)
    await check_backlog()
    tenant_id = str(principal.tenant_id)
    now = dt.datetime.now(dt.UTC)
    result = IngestResult()
    known = await agent_refs.ids_by_slug(principal.tenant_id, filter(None, map(agent_refs.named_agent, raw_events)))
    by_type: dict[str, list[dict[str, Any]]] = {}
    dead: list[dict[str, Any]] = []
    for index, raw in enumerate(raw_events):
        try:
            encoded = orjson.dumps(raw)
            if len(encoded) > MAX_EVENT_BYTES:
                raise ValueError(f"event is larger than {MAX_EVENT_BYTES} bytes")
            envelope = validate_event(raw, tenant_id, now)  # what is wrong with the event itself first
            slug = agent_refs.named_agent(raw)
            if slug is not None:  # stored under the agent's id (which is then part of its identity)
                if slug not in known:
                    raise ValueError(agent_refs.unknown_reason(slug))
                envelope = validate_event(agent_refs.with_agent_id(raw, known[slug]), tenant_id, now)
        except ValueError as exc:
            reason = str(exc)
            result.errors.append(Rejection(index, reason))
            etype = str(raw.get("type", "")) if isinstance(raw, dict) else ""
            dead.append(
                {
                    "tenant_id": tenant_id,
                    "source": "api",
                    "type": etype[:100],
                    "reason": reason,
                    "raw": orjson.dumps(raw).decode()[:MAX_EVENT_BYTES],
                    "received_at": now.isoformat(),
                }
            )
            EVENTS_REJECTED.labels(etype or "unknown").inc()
            continue
        by_type.setdefault(envelope.type, []).append(envelope.model_dump())
        result.event_ids.append(envelope.event_id)
    for topic, events in by_type.items():
        await publish_events(topic, tenant_id, events)
    if dead:
        await shared_bus().publish(DEAD_LETTER_TOPIC, tenant_id, orjson.dumps({"v": 1, "items": dead}))
    result.accepted = len(result.event_ids)
    result.rejected = len(result.errors)
    return result
