"""Property: whatever mix of sends, retries, duplicates and crashes, every figure equals the
number of distinct events.

``hypothesis`` is not installed, so each example is drawn from a seeded ``random.Random``
(``SEEDS`` examples, bounded steps each): the failing seed is in the test id and replays
exactly. One example sends, in random order,

* new events (with or without ``event_id``, with or without ``ts``, naming the agent by
  slug or by id, some duplicated inside their request),
* retries of earlier requests, byte for byte, and of earlier events under the other agent
  reference (slug <-> id),
* chat-runtime turns published on the bus, some published twice (a producer retry),
* a worker that dies after claiming a batch's events but before inserting them, or after
  inserting but before acknowledging; another worker takes its messages over;

then asserts: ``va analytics verify`` finds no drift; the raw table (no ``FINAL``) holds one
row per distinct event; every dashboard total (summary from rollups, minute rollups and raw,
per-agent breakdown, cost) and the conversation explorer equal the distinct events. The
``kill -9`` of a worker *process* is in ``test_exactly_once_kill.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from analytics import reconcile
from core import clickhouse
from core.config import get_settings
from core.events import DEAD_LETTER_TOPIC, EVENT_TYPES
from ingest.consumer import IngestWorker, TopicIngestor
from tests.api_client import bearer
from tests.factories import create_agent, create_key, create_tenant
from va_app.domain.conversations.events import TurnRecord, turn_envelope
from va_app.domain.ingestion.publisher import encode_batch, shared_bus

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse, pytest.mark.timeout(240)]
API = "/api/v1"
SEEDS = (1, 2, 3)
STEPS = 14
CLAIM_IDLE_MS = 150


@dataclass
class Logical:
    """One event as its producer means it; ``sent`` once it went out at least once."""

    agent: int
    conversation: str
    cost: float
    event_id: str | None
    ts: str | None
    sent: bool = False

    def raw(self, refs: list[tuple[str, str]], by_slug: bool) -> dict[str, Any]:
        agent_id, slug = refs[self.agent]
        event: dict[str, Any] = {
            "type": "conversation.logs",
            "payload": {
                "agent_id": slug if by_slug else agent_id,
                "conversation_id": self.conversation,
                "cost_usd": self.cost,
                "latency_ms": 100,
                "outcome": "answered",
            },
        }
        if self.event_id:
            event["event_id"] = self.event_id
        if self.ts:
            event["ts"] = self.ts
        return event


@dataclass
class World:
    rng: random.Random
    refs: list[tuple[str, str]]  # (id, slug) per agent
    events: list[Logical] = field(default_factory=list)
    requests: list[list[dict[str, Any]]] = field(default_factory=list)
    turns: list[tuple[int, float]] = field(default_factory=list)  # chat turns published: (agent, cost)

    def new_event(self) -> Logical:
        rng = self.rng
        at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=rng.randint(1, 90), seconds=rng.randint(0, 59))
        event = Logical(
            agent=rng.randrange(len(self.refs)),
            conversation=f"c-{rng.randrange(6)}",
            cost=round(rng.uniform(0.001, 0.05), 6),
            event_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)) if rng.random() < 0.5 else None,
            ts=at.isoformat(timespec="milliseconds") if rng.random() < 0.5 else None,
        )
        if event.event_id is None and event.ts is None:
            # identity from content: keep two events meant as different distinguishable
            event.conversation += f"-{len(self.events)}"
        self.events.append(event)
        return event


async def _groups_at_end(group: str) -> None:
    raw = aioredis.Redis.from_url(get_settings().resolved_redis_url)
    for topic in (*EVENT_TYPES, DEAD_LETTER_TOPIC):
        await raw.xgroup_create(f"va:bus:{topic}", f"{group}.{topic}", id="$", mkstream=True)
    await raw.aclose()


def _logs(worker: IngestWorker) -> TopicIngestor:
    return next(i for i in worker.ingestors if i.topic == "conversation.logs")


async def _drain(worker: IngestWorker, rounds: int = 60) -> None:
    for _ in range(rounds):
        if not any([await i.handle_once(timeout_ms=30) for i in worker.ingestors]):
            return


async def _crash(worker: IngestWorker, after_write: bool) -> None:
    """Fetch a batch and die holding it: with its events claimed but not written, or written
    but not acknowledged (the two points where a ``kill -9`` leaves work behind)."""
    logs = _logs(worker)
    messages = await logs.consumer.fetch(50, 50)
    units = await logs._plan(messages) if messages else None
    for token, unit in units or []:
        if after_write:
            await logs.write_unit(token, unit)
        else:
            prepared = await asyncio.to_thread(logs._prepare, unit)
            await logs.dedup.filter([prepared.fast, prepared.slow], token)


async def _step(world: World, api: httpx.AsyncClient, key: str, tenant: uuid.UUID, crasher: IngestWorker) -> None:
    rng = world.rng
    action = rng.choice(["send", "send", "send", "retry", "other_ref", "turns", "crash"])
    if action == "retry" and world.requests:
        body = rng.choice(world.requests)
    elif action == "other_ref" and any(e.sent for e in world.events):
        sent = [e for e in world.events if e.sent]  # the same identity under either reference
        body = [e.raw(world.refs, by_slug=rng.random() < 0.5) for e in rng.sample(sent, min(3, len(sent)))]
    elif action == "turns":
        drawn = [(rng.randrange(len(world.refs)), round(rng.uniform(0, 0.02), 6)) for _ in range(3)]
        records = [
            TurnRecord(tenant, world.refs[a][0], 1, f"chat-{len(world.turns) + i}", cost_usd=c, latency_ms=80)
            for i, (a, c) in enumerate(drawn)
        ]
        world.turns.extend(drawn)
        message = encode_batch([turn_envelope(t) for t in records])
        for _ in range(rng.choice([1, 1, 2])):  # a producer that retried after a timeout
            await shared_bus().publish("conversation.logs", str(tenant), message)
        return
    elif action == "crash":
        await _crash(crasher, after_write=rng.random() < 0.5)
        return
    else:
        chosen = [world.new_event() for _ in range(rng.randint(1, 6))]
        if world.events[: -len(chosen)] and rng.random() < 0.3:
            chosen.append(rng.choice(world.events[: -len(chosen)]))  # an old event again
        body = [e.raw(world.refs, by_slug=rng.random() < 0.5) for e in chosen]
        if rng.random() < 0.4:
            body.append(dict(rng.choice(body)))  # duplicated inside the request
        rng.shuffle(body)
    resp = await api.post(f"{API}/analytics/events", json=body, headers=bearer(key))
    assert resp.status_code == 202 and resp.json()["rejected"] == 0, resp.text
    world.requests.append(body)
    sent_ids = {(e.get("event_id"), e.get("ts"), e["payload"]["conversation_id"]) for e in body}
    for event in world.events:
        if (event.event_id, event.ts, event.conversation) in sent_ids:
            event.sent = True


def _sum(sql: str, tenant: str) -> float:
    return float(clickhouse.query_rows(sql, {"t": tenant})[0][0] or 0)


@pytest.mark.parametrize("seed", SEEDS)
async def test_every_figure_equals_the_distinct_events(api: httpx.AsyncClient, seed: int) -> None:
    rng = random.Random(seed)
    tenant = await create_tenant()
    key = await create_key(tenant, "developer")
    slugs = [f"prop-{seed}-{i}-{uuid.uuid4().hex[:4]}" for i in range(2)]
    refs = [(await create_agent(tenant, slug=s), s) for s in slugs]
    world = World(rng, refs)
    settings = get_settings().model_copy(deep=True)
    settings.bus.consumer_group = f"prop-{uuid.uuid4().hex[:8]}"
    settings.bus.claim_idle_ms = CLAIM_IDLE_MS
    await _groups_at_end(settings.bus.consumer_group)
    crasher, survivor = IngestWorker(settings, name="crasher"), IngestWorker(settings, name="survivor")
    await crasher.start()
    await survivor.start()
    try:
        for _ in range(STEPS):
            await _step(world, api, key, tenant.tenant_id, crasher)
            if rng.random() < 0.5:
                await _drain(survivor)
        await asyncio.sleep(CLAIM_IDLE_MS / 1000 + 0.1)  # the crashed worker's messages are idle: claimable
        await _drain(survivor)
    finally:
        await crasher.close()
        await survivor.close()

    tid = str(tenant.tenant_id)
    sent = [e for e in world.events if e.sent]
    distinct = len(sent) + len(world.turns)
    cost = sum(e.cost for e in sent) + sum(c for _, c in world.turns)
    per_agent = {refs[a][0]: 0 for a in range(len(refs))}
    for e in sent:
        per_agent[refs[e.agent][0]] += 1
    for a, _ in world.turns:
        per_agent[refs[a][0]] += 1

    report = reconcile.verify(tid, dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    assert report.clean, report.as_dict()["drift"]
    assert _sum("SELECT count() FROM va.events WHERE tenant_id = {t:UUID}", tid) == distinct
    assert _sum("SELECT uniqExact(event_id) FROM va.events WHERE tenant_id = {t:UUID}", tid) == distinct

    h = bearer(key)
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    end = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    window = {"start": start.isoformat(), "end": end.isoformat()}
    for params in ({"source": "auto"}, {"source": "raw"}, {"granularity": "minute"}):
        board = await api.get(f"{API}/analytics/dashboards", params={**window, **params}, headers=h)
        assert board.status_code == 200, board.text
        panels = board.json()["panels"]
        assert panels["summary"]["events"] == distinct, (params, panels["summary"])
        assert panels["summary"]["cost_usd"] == pytest.approx(cost, abs=1e-5), params
        assert sum(p["events"] for p in panels["timeseries"]) == distinct, params
        by_agent = {r["dimension"]: r["events"] for r in panels["by_agent"]}
        assert by_agent == {a: n for a, n in per_agent.items() if n}, params
    found = (await api.get(f"{API}/conversations", params={**window, "limit": 500}, headers=h)).json()
    assert sum(r["turns"] for r in found["data"]) == distinct
    assert sum(r["cost_usd"] for r in found["data"]) == pytest.approx(cost, abs=1e-5)
