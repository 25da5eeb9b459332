"""Inbound webhooks: verify, de-duplicate, enqueue, answer fast.

Order matters: no signature header -> 401 before any lookup; unknown integration -> 404;
wrong signature -> 403; unreadable body -> 400; provider timestamp outside the replay window
-> 409. Only then is the provider's event id claimed in Redis (``SET NX`` with a TTL): a
provider retry of an event already enqueued is answered 200 ``duplicate`` so it stops
retrying, and nothing is processed twice. The messages travel the bus sealed (Fernet), so
end-user text and phone numbers never land in the analytics store in clear.
"""

from __future__ import annotations

import inspect
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from core import keys
from core.cache import get_redis
from core.events import validate_event
from va_app.domain.identity.secrets import encrypt
from va_app.domain.ingestion.publisher import publish_events
from va_app.domain.integrations.catalog import connector
from va_app.domain.integrations.messaging import whatsapp_handshake
from va_app.domain.integrations.registry import InboundRequest, WebhookRejected
from va_app.domain.integrations.service import load_connection

TOPIC = "integration.webhooks"
REPLAY_WINDOW_S = 300
SEEN_TTL_S = 24 * 3600


@dataclass(frozen=True)
class Accepted:
    status: str  # accepted | duplicate | ignored | challenge
    enqueued: int = 0
    body: Any = None


def seen_key(integration_id: uuid.UUID, event_id: str) -> str:
    return keys.inbound_seen(integration_id, event_id)


async def receive(integration_id: uuid.UUID, req: InboundRequest, now: float | None = None) -> Accepted:
    conn = await load_connection(integration_id)
    ctype = connector(conn.kind) if conn else None
    if ctype is not None and ctype.signature_header and not req.headers.get(ctype.signature_header.lower()):
        raise WebhookRejected(401, "unsigned", f"missing {ctype.signature_header} header")
    if conn is None or ctype is None or ctype.verify is None or ctype.parse is None:
        # Unknown id and unsigned look the same to a prober: both without a signature get 401 above
        # only when the id is real, so answer 401 here too rather than confirm which ids exist.
        raise WebhookRejected(401, "unsigned", "unknown integration or missing signature")
    verified = ctype.verify(conn, req)
    if inspect.isawaitable(verified):
        await verified
    parsed = ctype.parse(conn, req)
    moment = time.time() if now is None else now
    if parsed.timestamp is not None and abs(moment - parsed.timestamp) > REPLAY_WINDOW_S:
        raise WebhookRejected(409, "replayed", f"timestamp outside the {REPLAY_WINDOW_S} s replay window")
    if parsed.immediate is not None:
        return Accepted("challenge", body=parsed.immediate)
    if not parsed.messages:
        return Accepted("ignored")
    redis = get_redis()
    key = seen_key(conn.id, parsed.event_id)
    if not await redis.set(key, b"1", nx=True, ex=SEEN_TTL_S):
        return Accepted("duplicate")
    envelopes = [
        validate_event(
            {
                "type": TOPIC,
                "source": conn.kind,
                "payload": {
                    "integration_id": str(conn.id),
                    "provider": conn.kind,
                    "provider_event_id": m.event_id[:200],
                    "status": "received",
                    "details": {"sealed": encrypt(orjson.dumps(asdict(m)).decode()), "received_at": moment},
                },
            },
            str(conn.tenant_id),
            fresh_id=True,
        ).model_dump()
        for m in parsed.messages
    ]
    try:
        await publish_events(TOPIC, str(conn.tenant_id), envelopes)
    except Exception:
        await redis.delete(key)  # not enqueued: let the provider's retry get through
        raise
    return Accepted("accepted", enqueued=len(envelopes))


async def handshake(integration_id: uuid.UUID, query: dict[str, str]) -> str:
    """WhatsApp's GET verification; other kinds have none."""
    conn = await load_connection(integration_id)
    if conn is None or conn.kind != "whatsapp":
        raise WebhookRejected(404, "not_found", "no WhatsApp integration with this id")
    return whatsapp_handshake(conn, query)
