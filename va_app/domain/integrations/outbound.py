"""Outbound webhooks: tenants subscribe URLs to event types; every matching event becomes a
``webhook_deliveries`` row that the delivery worker (``delivery.py``) sends, signs and retries.

Event types: ``conversation.turn``, ``conversation.handoff``, ``agent.<kind>`` (version,
deployment, rollout events), ``alert.<transition>``, ``budget.threshold``. A subscription
lists exact types, a family (``alert``) or ``*``. Sources: a bus consumer (own group
``va-webhooks``) on the platform topics, and the alert notifier.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import secrets
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from core import db
from core.bus import BusMessage, consume_loop, get_bus
from models.integrations import WebhookDelivery
from models.repositories import integrations as repo
from va_app.domain.alerts.notify import AlertNotification
from va_app.domain.errors import InvalidInput, NotFound
from va_app.domain.identity.audit import audit
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.identity.secrets import encrypt

log = logging.getLogger(__name__)
FAMILIES = ("conversation", "agent", "alert", "budget")
GROUP = "va-webhooks"
TOPICS = ("agent.events", "conversation.logs", "analytics.metrics")
SUBS_TTL_S = 5.0
_subs_cache: dict[uuid.UUID, tuple[float, list[tuple[uuid.UUID, list[str]]]]] = {}


@dataclass(frozen=True)
class SubscriptionView:
    id: str
    url: str
    event_types: list[str]
    is_active: bool
    consecutive_failures: int
    disabled_reason: str | None
    last_success_at: dt.datetime | None
    created_at: dt.datetime
    secret: str | None = None  # only in the answer to create: shown once


@dataclass(frozen=True)
class DeliveryView:
    id: str
    subscription_id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    response_status: int | None
    response_ms: float | None
    next_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    last_error: str | None
    created_at: dt.datetime


def _sub_view(row: Any, secret: str | None = None) -> SubscriptionView:
    return SubscriptionView(
        str(row.id), row.url, list(row.event_types), row.is_active, row.consecutive_failures,
        row.disabled_reason, row.last_success_at, row.created_at, secret,
    )  # fmt: skip


def delivery_view(row: Any) -> DeliveryView:
    return DeliveryView(
        str(row.id), str(row.subscription_id), row.event_id, row.event_type, row.status, row.attempts,
        row.response_status, row.response_ms, row.next_attempt_at, row.delivered_at, row.last_error, row.created_at,
    )  # fmt: skip


def matches(patterns: list[str], event_type: str) -> bool:
    family = event_type.split(".", 1)[0]
    return any(p in ("*", event_type, family) for p in patterns)


def _check_types(types: list[str]) -> list[str]:
    for t in types:
        if t != "*" and t.split(".", 1)[0] not in FAMILIES:
            raise InvalidInput(f"event_types: '{t}' is not in the families {', '.join(FAMILIES)} (or '*')")
    return sorted(set(types))


async def create_subscription(principal: Principal, *, url: str, event_types: list[str]) -> SubscriptionView:
    principal.require(Perm.INTEGRATIONS_WRITE)
    if not url.startswith(("https://", "http://")):
        raise InvalidInput("url: must be http(s)")
    secret = "whsec_" + secrets.token_urlsafe(32)
    async with db.session_scope() as session:
        row = await repo.create_subscription(
            session=session,
            tenant_id=principal.tenant_id,
            url=url,
            event_types=_check_types(event_types),
            secret_enc=encrypt(secret),
        )
        await audit(session, principal, "webhook.subscribe", "webhook_subscription", row.id, after={"url": url})
        view = _sub_view(row, secret)
    _subs_cache.pop(principal.tenant_id, None)
    return view


async def list_subscriptions(principal: Principal) -> list[SubscriptionView]:
    principal.require(Perm.INTEGRATIONS_READ)
    async with db.session_scope() as session:
        return [_sub_view(r) for r in await repo.list_subscriptions(session=session, tenant_id=principal.tenant_id)]


async def delete_subscription(principal: Principal, subscription_id: uuid.UUID) -> None:
    principal.require(Perm.INTEGRATIONS_WRITE)
    async with db.session_scope() as session:
        if not await repo.delete_subscription(
            session=session, tenant_id=principal.tenant_id, subscription_id=subscription_id
        ):
            raise NotFound("subscription not found")
        await audit(session, principal, "webhook.unsubscribe", "webhook_subscription", subscription_id)
    _subs_cache.pop(principal.tenant_id, None)


async def list_deliveries(
    principal: Principal, *, subscription_id: uuid.UUID | None, status: str | None, limit: int
) -> list[DeliveryView]:
    principal.require(Perm.INTEGRATIONS_READ)
    async with db.session_scope() as session:
        rows = await repo.list_deliveries(
            session=session, tenant_id=principal.tenant_id, subscription_id=subscription_id, status=status, limit=limit
        )
        return [delivery_view(r) for r in rows]


async def redeliver(principal: Principal, delivery_id: uuid.UUID) -> DeliveryView:
    """Queue a delivery again now (a failed one, or to replay a delivered one by hand)."""
    principal.require(Perm.INTEGRATIONS_WRITE)
    async with db.session_scope() as session:
        row = await repo.get_delivery(session=session, tenant_id=principal.tenant_id, delivery_id=delivery_id)
        if row is None:
            raise NotFound("delivery not found")
        row.status, row.next_attempt_at, row.last_error = "pending", None, None
        await audit(session, principal, "webhook.redeliver", "webhook_delivery", delivery_id)
        sub = await repo.get_subscription(
            session=session, tenant_id=principal.tenant_id, subscription_id=row.subscription_id
        )
        if sub is not None and not sub.is_active:
            # Only active subscriptions are sent to: asking for a redelivery is the operator saying the
            # receiver is back. The failure count is kept, so one more failure disables it again.
            sub.is_active, sub.disabled_reason = True, None
            await audit(session, principal, "webhook.reenable", "webhook_subscription", sub.id)
        view = delivery_view(row)
    forget_subscriptions(principal.tenant_id)
    return view


def forget_subscriptions(tenant_id: uuid.UUID) -> None:
    """Drop this process's cached active subscriptions of a tenant (one was disabled or revived)."""
    _subs_cache.pop(tenant_id, None)


async def _active(tenant_id: uuid.UUID) -> list[tuple[uuid.UUID, list[str]]]:
    now = time.monotonic()
    found = _subs_cache.get(tenant_id)
    if found is None or found[0] < now:
        async with db.session_scope() as session:
            rows = await repo.list_subscriptions(session=session, tenant_id=tenant_id, active_only=True)
            found = _subs_cache[tenant_id] = (now + SUBS_TTL_S, [(r.id, list(r.event_types)) for r in rows])
    return found[1]


async def enqueue(tenant_id: uuid.UUID, event_type: str, event_id: str, data: dict[str, Any]) -> int:
    """One pending delivery per matching active subscription; returns how many."""
    targets = [sid for sid, types in await _active(tenant_id) if matches(types, event_type)]
    if not targets:
        return 0
    body = {"id": event_id, "type": event_type, "tenant_id": str(tenant_id), "data": data}
    rows = [
        WebhookDelivery(tenant_id=tenant_id, subscription_id=sid, event_id=event_id[:64], event_type=event_type,
                        payload=body, status="pending")
        for sid in targets
    ]  # fmt: skip
    async with db.session_scope() as session:
        return await repo.add_deliveries(session=session, rows=rows)


def classify(event: dict[str, Any]) -> str | None:
    """Our webhook type for a bus envelope, or None when subscribers do not get it."""
    payload, kind = event.get("payload") or {}, event.get("type")
    if kind == "conversation.logs":
        return "conversation.turn"
    if kind == "agent.events":
        sub = str(payload.get("kind", ""))
        return "conversation.handoff" if sub == "handoff.requested" else f"agent.{sub}"
    if kind == "analytics.metrics" and payload.get("name") == "budget.threshold":
        return "budget.threshold"
    return None  # alerts come through the notifier, with their full detail


async def handle(batch: list[BusMessage]) -> None:
    for message in batch:
        data = orjson.loads(message.value)
        for event in data.get("events", []) if isinstance(data, dict) else []:
            event_type = classify(event)
            if event_type:
                await enqueue(uuid.UUID(event["tenant_id"]), event_type, event["event_id"], event.get("payload") or {})


async def alert_notifier(note: AlertNotification) -> None:
    """Registered with ``va_app.domain.alerts.notify``: alert transitions go out as webhooks."""
    data = orjson.loads(orjson.dumps(note.as_dict()))  # datetimes -> ISO strings
    event_id = f"{note.alert_id}:{note.transition}:{int(note.at.timestamp())}"
    await enqueue(uuid.UUID(note.tenant_id), f"alert.{note.transition}", event_id, data)


async def run_fanout(stop: asyncio.Event, *, block_ms: int = 500) -> None:
    bus = get_bus()
    name = f"{socket.gethostname()}-{os.getpid()}"
    consumers = [await bus.consumer(t, GROUP, name, block_ms=block_ms) for t in TOPICS]
    try:
        await asyncio.gather(*(consume_loop(c, handle, stop=stop, retry_delay_s=1.0) for c in consumers))
    finally:
        for c in consumers:
            await c.close()
        await bus.close()
