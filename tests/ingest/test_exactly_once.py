"""Issue 12, defects 1, 2, 3 and 7, seen from outside: an event counts once everywhere.

Each test goes API (or bus) -> ingest worker -> ClickHouse and reads what an operator reads:
the raw table without ``FINAL``, every rollup table, the dashboard API and the conversation
explorer API. Nothing waits for a background merge.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import httpx
import pytest

from analytics.schema import NARROW_ROLLUPS
from core import clickhouse
from ingest.consumer import IngestWorker
from tests.api_client import bearer
from tests.factories import create_agent, create_key, create_tenant
from va_app.domain.ingestion.publisher import encode_batch, shared_bus

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]
API = "/api/v1"
ROLLUPS = ("rollup_1m", "rollup_1h", *NARROW_ROLLUPS)


async def _drain(worker: IngestWorker, rounds: int = 50) -> None:
    for _ in range(rounds):
        handled = [await i.handle_once(timeout_ms=50) for i in worker.ingestors]
        if not any(handled):
            return


def _one(sql: str, tenant: str) -> float:
    return float(clickhouse.query_rows(sql, {"t": tenant})[0][0] or 0)


def _figures(tenant: str) -> dict[str, float]:
    """Raw rows (no FINAL, no dedup), and events/cost of every rollup table."""
    out = {"raw": _one("SELECT count() FROM va.events WHERE tenant_id = {t:UUID}", tenant)}
    for table in ROLLUPS:
        out[f"{table}.events"] = _one(f"SELECT sum(events) FROM va.{table} WHERE tenant_id = {{t:UUID}}", tenant)
        out[f"{table}.cost"] = round(
            _one(f"SELECT sum(cost_usd) FROM va.{table} WHERE tenant_id = {{t:UUID}}", tenant), 9
        )
    return out


def _expected(events: int, cost: float) -> dict[str, float]:
    out = {"raw": float(events)}
    for table in ROLLUPS:
        out[f"{table}.events"] = float(events)
        out[f"{table}.cost"] = round(cost, 9)
    return out


def _turn(agent: str, conversation: str, **extra: object) -> dict[str, object]:
    payload = {"agent_id": agent, "conversation_id": conversation, "latency_ms": 120, "cost_usd": 0.25, **extra}
    return {"type": "conversation.logs", "payload": payload}


async def _summary(api: httpx.AsyncClient, key: str, since: dt.datetime, **params: str) -> dict[str, object]:
    resp = await api.get(
        f"{API}/analytics/dashboards",
        params={"start": since.isoformat(), "panels": "summary", **params},
        headers=bearer(key),
    )
    assert resp.status_code == 200, resp.text
    summary: dict[str, object] = resp.json()["panels"]["summary"]
    return summary


async def test_a_retried_event_counts_once_in_raw_rollups_and_dashboards(
    api: httpx.AsyncClient, worker: IngestWorker
) -> None:
    """Defect 1: the same event (same event_id and ts) posted twice."""
    tenant = await create_tenant()
    agent = await create_agent(tenant)
    key = await create_key(tenant, "developer")
    at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    event = {**_turn(agent, "c-retry"), "event_id": str(uuid.uuid4()), "ts": at.isoformat()}
    for _ in range(2):
        resp = await api.post(f"{API}/analytics/events", json=event, headers=bearer(key))
        assert resp.status_code == 202 and resp.json()["accepted"] == 1, resp.text
        await _drain(worker)
    tid = str(tenant.tenant_id)
    assert _figures(tid) == _expected(1, 0.25)
    for source in ("rollup", "raw"):
        summary = await _summary(api, key, at - dt.timedelta(hours=2), source=source)
        assert summary["events"] == 1 and summary["cost_usd"] == pytest.approx(0.25), (source, summary)


async def test_a_retry_without_ts_is_the_same_event(api: httpx.AsyncClient, worker: IngestWorker) -> None:
    """Defect 2: the server stamps ts; a retry must not become a second event, with or
    without an event_id."""
    tenant = await create_tenant()
    agent = await create_agent(tenant)
    key = await create_key(tenant, "developer")
    with_id = {**_turn(agent, "c-id"), "event_id": str(uuid.uuid4())}
    without_id = _turn(agent, "c-no-id", cost_usd=0.5)
    ids: list[list[str]] = []
    for _ in range(2):
        resp = await api.post(f"{API}/analytics/events", json=[with_id, without_id], headers=bearer(key))
        assert resp.status_code == 202 and resp.json()["accepted"] == 2, resp.text
        ids.append(resp.json()["event_ids"])
        await _drain(worker)
        await asyncio.sleep(0.01)  # the retry is stamped with a later ts
    assert ids[0] == ids[1], "an event without event_id must get the same id on a retry"
    assert _figures(str(tenant.tenant_id)) == _expected(2, 0.75)


async def test_conversation_summary_counts_each_turn_once(api: httpx.AsyncClient, worker: IngestWorker) -> None:
    """Defect 3: the explorer's conversation row (turns, cost) after a retried turn and a
    turn duplicated inside one batch."""
    tenant = await create_tenant()
    agent = await create_agent(tenant)
    key = await create_key(tenant, "developer")
    first = {**_turn(agent, "c-sum"), "event_id": str(uuid.uuid4())}
    second = {**_turn(agent, "c-sum", cost_usd=0.5), "event_id": str(uuid.uuid4())}
    await api.post(f"{API}/analytics/events", json=[first, second, second], headers=bearer(key))
    await api.post(f"{API}/analytics/events", json=[first], headers=bearer(key))
    await _drain(worker)
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    found = (await api.get(f"{API}/conversations", params={"start": since}, headers=bearer(key))).json()
    assert found["count"] == 1
    row = found["data"][0]
    assert row["turns"] == 2 and row["cost_usd"] == pytest.approx(0.75), row
    transcript = (await api.get(f"{API}/conversations/c-sum", headers=bearer(key))).json()
    assert transcript["totals"]["turns"] == 2 and transcript["totals"]["cost_usd"] == pytest.approx(0.75)


async def test_a_redelivered_bus_message_of_the_chat_runtime_counts_once(worker: IngestWorker) -> None:
    """The chat runtime's batcher publishing the same turns twice (a producer retry after a
    timeout) gives two bus messages with the same events."""
    from va_app.domain.conversations.events import TurnRecord, turn_envelope

    tenant = uuid.uuid4()
    turns = [turn_envelope(TurnRecord(tenant, str(uuid.uuid4()), 1, f"c-{i}", cost_usd=0.1)) for i in range(3)]
    body = encode_batch(turns)
    for _ in range(2):
        await shared_bus().publish("conversation.logs", str(tenant), body)
    await _drain(worker)
    assert _figures(str(tenant)) == _expected(3, 0.3)


async def test_events_sent_with_a_slug_are_stored_under_the_agents_id(
    api: httpx.AsyncClient, worker: IngestWorker
) -> None:
    """Defect 7: one agent, one analytics dimension, whether events name it by slug or id;
    an unknown slug is refused with a reason."""
    tenant = await create_tenant()
    agent = await create_agent(tenant, slug="front-desk")
    key = await create_key(tenant, "developer")
    events = [_turn("front-desk", "c-slug"), _turn(agent, "c-id"), _turn("no-such-agent", "c-x")]
    resp = await api.post(f"{API}/analytics/events", json=events, headers=bearer(key))
    body = resp.json()
    assert resp.status_code == 202 and body["accepted"] == 2 and body["rejected"] == 1, body
    assert body["errors"][0]["index"] == 2 and "no-such-agent" in body["errors"][0]["reason"]
    await _drain(worker)
    tid = str(tenant.tenant_id)
    stored = clickhouse.query_rows("SELECT DISTINCT agent_id FROM va.events WHERE tenant_id = {t:UUID}", {"t": tid})
    assert [r[0] for r in stored] == [agent]
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    board = (
        await api.get(f"{API}/analytics/dashboards", params={"start": since, "panels": "by_agent"}, headers=bearer(key))
    ).json()
    rows = board["panels"]["by_agent"]
    assert [(r["dimension"], r["agent_slug"], r["events"]) for r in rows] == [(agent, "front-desk", 2)]
