"""The outbound delivery worker: sign, send, record, retry.

Each tick leases due deliveries (``FOR UPDATE SKIP LOCKED``, then ``next_attempt_at`` pushed
a lease ahead and committed) so replicas never send the same one concurrently, and no row
lock is held across HTTP. Failures retry with exponential backoff and full jitter; a
per-subscription circuit breaker stops hammering a dead endpoint (deferred deliveries do not
spend attempts, so a subscriber that comes back receives everything); a token bucket caps
the rate per subscription; after ``disable_after`` consecutive failures the subscription is
disabled and an alert event published.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from core import db
from core.events import validate_event
from models.repositories import integrations as repo
from va_app.domain.identity.secrets import decrypt
from va_app.domain.ingestion.publisher import publish_events
from va_app.domain.integrations import http, outbound, signing

log = logging.getLogger(__name__)


@dataclass
class Policy:
    base_backoff_s: float = 2.0
    max_backoff_s: float = 3600.0
    max_attempts: int = 10
    disable_after: int = 50  # consecutive failed sends to one subscription
    breaker_threshold: int = 5
    breaker_cooldown_s: float = 30.0
    rate_per_s: float = 50.0
    lease_s: float = 60.0
    batch: int = 100
    tick_s: float = 0.5
    timeout_s: float = 10.0


POLICY = Policy()


@dataclass
class _Breaker:
    failures: int = 0
    open_until: float = 0.0
    tokens: float = 0.0
    refilled: float = field(default_factory=time.monotonic)


_state: dict[uuid.UUID, _Breaker] = {}


def backoff(attempts: int, policy: Policy = POLICY) -> float:
    """Full jitter: spreads retries of a burst so a recovering endpoint is not stampeded."""
    ceiling = min(policy.max_backoff_s, policy.base_backoff_s * 2 ** max(attempts - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


def _admit(sub_id: uuid.UUID, now: float, policy: Policy) -> float:
    """0 when a send may go now; otherwise seconds to wait (breaker open or bucket empty)."""
    st = _state.setdefault(sub_id, _Breaker(tokens=policy.rate_per_s))
    if st.open_until > now:
        return st.open_until - now
    st.tokens = min(policy.rate_per_s, st.tokens + (now - st.refilled) * policy.rate_per_s)
    st.refilled = now
    if st.tokens < 1:
        return (1 - st.tokens) / policy.rate_per_s
    st.tokens -= 1
    return 0.0


def _outcome(sub_id: uuid.UUID, ok: bool, policy: Policy) -> None:
    st = _state.setdefault(sub_id, _Breaker(tokens=policy.rate_per_s))
    if ok:
        st.failures, st.open_until = 0, 0.0
        return
    st.failures += 1
    if st.failures >= policy.breaker_threshold:
        st.open_until = time.monotonic() + policy.breaker_cooldown_s


@dataclass(frozen=True)
class _Job:
    delivery_id: uuid.UUID
    tenant_id: uuid.UUID
    subscription_id: uuid.UUID
    url: str
    secret: str
    body: bytes
    event_id: str
    event_type: str


async def _lease(policy: Policy) -> tuple[list[_Job], list[tuple[uuid.UUID, float]]]:
    now = dt.datetime.now(dt.UTC)
    jobs: list[_Job] = []
    deferred: list[tuple[uuid.UUID, float]] = []
    mono = time.monotonic()
    async with db.session_scope() as session:
        for d, s in await repo.claim_due_deliveries(session=session, now=now, limit=policy.batch):
            wait = _admit(s.id, mono, policy)
            if wait > 0:
                d.next_attempt_at = now + dt.timedelta(seconds=wait)
                deferred.append((d.id, wait))
                continue
            d.next_attempt_at = now + dt.timedelta(seconds=policy.lease_s)
            body = orjson.dumps(d.payload)
            jobs.append(_Job(d.id, d.tenant_id, s.id, s.url, decrypt(s.secret_enc), body, d.event_id, d.event_type))
    return jobs, deferred


async def _send(job: _Job, policy: Policy) -> tuple[int | None, float, str | None]:
    headers = {
        "Content-Type": "application/json",
        signing.VA_SIGNATURE_HEADER: signing.va_signature(job.secret, job.body),
        "X-VA-Event-Id": job.event_id,
        "X-VA-Event-Type": job.event_type,
        "X-VA-Delivery-Id": str(job.delivery_id),
        "User-Agent": "VirtualAgent-Webhooks/1",
    }
    started = time.perf_counter()
    try:
        resp = await http.client().post(job.url, content=job.body, headers=headers, timeout=policy.timeout_s)
    except httpx.HTTPError as exc:
        return None, (time.perf_counter() - started) * 1000, type(exc).__name__
    ms = (time.perf_counter() - started) * 1000
    return resp.status_code, ms, None if resp.status_code < 300 else f"HTTP {resp.status_code}"


async def _record(job: _Job, status: int | None, ms: float, error: str | None, policy: Policy) -> None:
    ok = error is None
    _outcome(job.subscription_id, ok, policy)
    now = dt.datetime.now(dt.UTC)
    disabled = False
    async with db.session_scope() as session:
        d = await repo.get_delivery(session=session, tenant_id=job.tenant_id, delivery_id=job.delivery_id)
        s = await repo.get_subscription(session=session, tenant_id=job.tenant_id, subscription_id=job.subscription_id)
        if d is None or s is None:
            return
        d.attempts += 1
        d.response_status, d.response_ms, d.last_error = status, round(ms, 3), error
        if ok:
            d.status, d.delivered_at, d.next_attempt_at = "delivered", now, None
            s.consecutive_failures, s.last_success_at = 0, now
        else:
            exhausted = d.attempts >= policy.max_attempts
            d.status = "failed" if exhausted else "retrying"
            d.next_attempt_at = None if exhausted else now + dt.timedelta(seconds=backoff(d.attempts, policy))
            s.consecutive_failures += 1
            if s.is_active and s.consecutive_failures >= policy.disable_after:
                s.is_active, s.disabled_reason = False, f"{s.consecutive_failures} consecutive failures ({error})"
                disabled = True
    if disabled:
        outbound.forget_subscriptions(job.tenant_id)  # stop queuing for it now, not after the cache TTL
        await _alert_disabled(job, error or "")


async def _alert_disabled(job: _Job, error: str) -> None:
    log.warning("webhook subscription disabled", extra={"subscription_id": str(job.subscription_id)})
    event = validate_event(
        {
            "type": "analytics.metrics",
            "source": "webhooks",
            "payload": {
                "name": "alert",
                "value": 1.0,
                "dimensions": {
                    "state": "firing",
                    "severity": "warning",
                    "kind": "webhook.subscription_disabled",
                    "subscription_id": str(job.subscription_id),
                    "error": error[:200],
                },
            },
        },
        str(job.tenant_id),
        fresh_id=True,
    ).model_dump()
    try:
        await publish_events("analytics.metrics", str(job.tenant_id), [event])
    except Exception:
        log.exception("could not publish the subscription-disabled alert")


async def tick(policy: Policy = POLICY) -> int:
    """One round: lease what is due, send concurrently, record. Returns how many were sent."""
    jobs, _deferred = await _lease(policy)

    async def one(job: _Job) -> None:
        status, ms, error = await _send(job, policy)
        await _record(job, status, ms, error, policy)

    await asyncio.gather(*(one(j) for j in jobs))
    return len(jobs)


async def run(stop: asyncio.Event, policy: Policy = POLICY) -> None:
    while not stop.is_set():
        sent = 0
        try:
            sent = await tick(policy)
        except Exception:
            log.exception("webhook delivery tick failed")
        if sent < policy.batch:  # a full batch means more is due: go again at once
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), policy.tick_s)


def reset_breakers() -> None:
    """Tests: start every subscription with a closed breaker and a full bucket."""
    _state.clear()


def policy_for_tests(**changes: Any) -> Policy:
    return Policy(**{**POLICY.__dict__, **changes})
