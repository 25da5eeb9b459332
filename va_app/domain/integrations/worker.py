"""The integration worker inside the web process: inbound channel messages -> agent -> reply.

It reads ``integration.webhooks`` in its OWN consumer group (``va-integrations``), so the
ingest worker's group still sees every event for analytics. Messages of a batch run
concurrently; each is retried a few times with backoff, and marked done in Redis once the
reply is sent, so a batch redelivered after a crash does not answer anyone twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
import uuid
from typing import Any

import orjson

from core import keys
from core.bus import BusConsumer, BusMessage, consume_loop, get_bus
from core.cache import get_redis
from core.channels import channel_of_connector
from va_app.domain.conversations.runtime import chat
from va_app.domain.conversations.turn import ChatInput
from va_app.domain.identity.principal import system_principal
from va_app.domain.identity.secrets import decrypt
from va_app.domain.integrations import handoff
from va_app.domain.integrations.catalog import connector
from va_app.domain.integrations.registry import Connection, InboundMessage
from va_app.domain.integrations.service import load_connection, record_event

log = logging.getLogger(__name__)
TOPIC = "integration.webhooks"
GROUP = "va-integrations"
DONE_TTL_S = 24 * 3600
ATTEMPTS = 3
BACKOFF_S = 0.2
CONCURRENCY = 32

_consumers: list[BusConsumer] = []


def conversation_id(conn: Connection, key: str) -> str:
    """Stable per provider thread/user, opaque (no phone number in our logs), within 128 chars."""
    digest = hashlib.sha256(f"{conn.id}:{key}".encode()).hexdigest()[:32]
    return f"{conn.kind}-{digest}"


def _events(batch: list[BusMessage]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for message in batch:
        try:
            data = orjson.loads(message.value)
        except orjson.JSONDecodeError:
            log.warning("skipping undecodable bus message", extra={"id": message.id})
            continue
        found.extend(data.get("events", []) if isinstance(data, dict) else [])
    return found


async def answer(conn: Connection, msg: InboundMessage) -> str:
    """One turn through the agent named in the integration's config, then the reply via the channel."""
    principal = system_principal(conn.tenant_id, f"integration:{conn.id}")
    out = await chat(
        principal,
        str(conn.config["agent"]),
        ChatInput(
            message=msg.text[:8000],
            conversation_id=conversation_id(conn, msg.conversation_key),
            user_id=msg.user_id[:200] or None,
            channel=channel_of_connector(conn.kind),
        ),
    )
    ctype = connector(conn.kind)
    if ctype is not None and ctype.reply is not None:
        await ctype.reply(conn, msg, out.reply)
    return out.reply


async def _process(event: dict[str, Any]) -> None:
    payload = event.get("payload") or {}
    if payload.get("status") != "received" or "sealed" not in (payload.get("details") or {}):
        return
    done_key = keys.inbound_done(event["event_id"])
    redis = get_redis()
    if await redis.exists(done_key):
        return
    conn = await load_connection(uuid.UUID(payload["integration_id"]), uuid.UUID(event["tenant_id"]))
    if conn is None:  # disconnected since: nothing to answer with
        return
    msg = InboundMessage(**orjson.loads(decrypt(payload["details"]["sealed"])))
    error = ""
    for attempt in range(ATTEMPTS):
        try:
            await answer(conn, msg)
        except Exception as exc:  # provider down, agent missing, budget: retried, then recorded
            error = f"{type(exc).__name__}: {exc}"[:500]
            log.warning("integration message failed", extra={"integration_id": str(conn.id), "attempt": attempt + 1})
            await asyncio.sleep(BACKOFF_S * 2**attempt)
            continue
        await redis.set(done_key, b"1", ex=DONE_TTL_S)
        await record_event(conn)
        return
    await redis.set(done_key, b"failed", ex=DONE_TTL_S)
    await record_event(conn, error)


async def handle(batch: list[BusMessage]) -> None:
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one(event: dict[str, Any]) -> None:
        async with sem:
            await _process(event)

    await asyncio.gather(*(one(e) for e in _events(batch)))


async def run(stop: asyncio.Event, *, block_ms: int = 200) -> None:
    """Consume inbound messages and handoff events until ``stop`` is set."""
    bus = get_bus()
    name = f"{socket.gethostname()}-{os.getpid()}"
    inbound = await bus.consumer(TOPIC, GROUP, name, block_ms=block_ms)
    handoffs = await bus.consumer(handoff.TOPIC, handoff.GROUP, name, block_ms=block_ms)
    _consumers[:] = [inbound]
    try:
        await asyncio.gather(
            consume_loop(inbound, handle, stop=stop, retry_delay_s=0.5),
            consume_loop(handoffs, handoff.handle, stop=stop, retry_delay_s=0.5),
        )
    finally:
        _consumers.clear()
        for consumer in (inbound, handoffs):
            await consumer.close()
        await bus.close()


async def backlog() -> int:
    """Inbound events not yet acknowledged by the group (0 when no worker runs here)."""
    for consumer in _consumers:
        try:
            return await consumer.lag()
        except Exception:
            return 0
    return 0
