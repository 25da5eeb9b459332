"""Human handoff -> a ticket with the (already PII-masked) transcript.

The chat runtime publishes ``agent.events`` ``handoff.requested``; this consumer (own group,
so the ingest worker still stores every event) opens a ticket on each ticket-capable
integration of the tenant whose config says ``handoff: true``. A Redis claim per event and
integration keeps a redelivered batch from opening a second ticket.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson

from core import keys
from core.bus import BusMessage
from core.cache import get_redis
from va_app.domain.integrations.catalog import connector
from va_app.domain.integrations.http import ConnectorError
from va_app.domain.integrations.registry import Connection
from va_app.domain.integrations.service import record_event, tenant_connections

log = logging.getLogger(__name__)
TOPIC = "agent.events"
GROUP = "va-integrations-handoff"
CLAIM_TTL_S = 7 * 24 * 3600


def ticket_params(details: dict[str, Any], agent_id: str) -> dict[str, Any]:
    transcript = "\n".join(f"{t.get('role', '?')}: {t.get('content', '')}" for t in details.get("transcript", []))
    header = (
        f"Conversation {details.get('conversation_id', '')} on {details.get('channel', 'api')} "
        f"(agent {agent_id}) asked for a person: {details.get('reason', '')}. "
        f"Queue: {details.get('target_queue', '') or 'default'}."
    )
    return {
        "subject": f"Handoff: {details.get('reason', 'requested')} ({details.get('conversation_id', '')})"[:250],
        "description": f"{header}\n\nTranscript:\n{transcript}",
        "tags": ["handoff"],
    }


def _targets(conns: list[Connection]) -> list[Connection]:
    found = []
    for conn in conns:
        ctype = connector(conn.kind)
        if ctype is not None and conn.config.get("handoff") and "create_ticket" in ctype.actions:
            found.append(conn)
    return found


async def open_tickets(event: dict[str, Any]) -> list[dict[str, Any]]:
    payload = event.get("payload") or {}
    if payload.get("kind") != "handoff.requested":
        return []
    tenant_id = uuid.UUID(event["tenant_id"])
    created: list[dict[str, Any]] = []
    redis = get_redis()
    for conn in _targets(await tenant_connections(tenant_id)):
        claim = keys.handoff_claim(event["event_id"], conn.id)
        if not await redis.set(claim, b"1", nx=True, ex=CLAIM_TTL_S):
            continue
        params = ticket_params(payload.get("details") or {}, str(payload.get("agent_id", "")))
        try:
            result = await connector(conn.kind).actions["create_ticket"](conn, params)  # type: ignore[union-attr]
        except ConnectorError as exc:
            await redis.delete(claim)  # let the redelivered batch try again
            await record_event(conn, exc.message)
            raise
        await record_event(conn)
        created.append({"integration_id": str(conn.id), **result})
        log.info("handoff ticket created", extra={"integration_id": str(conn.id), "kind": conn.kind})
    return created


async def handle(batch: list[BusMessage]) -> None:
    """Raising gives the batch back to the bus: a helpdesk outage delays tickets, never drops them."""
    for message in batch:
        try:
            data = orjson.loads(message.value)
        except orjson.JSONDecodeError:
            continue
        for event in data.get("events", []) if isinstance(data, dict) else []:
            await open_tickets(event)
