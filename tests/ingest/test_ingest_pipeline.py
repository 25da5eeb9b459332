"""The pipeline end to end: API -> bus -> ingest worker -> ClickHouse, exactly once."""

from __future__ import annotations

import uuid

import httpx
import pytest

from core import clickhouse
from core.config import get_settings
from ingest.consumer import IngestWorker
from tests.api_client import bearer
from tests.factories import create_key, create_tenant

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]


AGENT = str(uuid.uuid4())  # an agent id the platform need not know (external agents report by id)


def _log(agent: str = AGENT, **payload: object) -> dict:
    return {
        "type": "conversation.logs",
        "payload": {"agent_id": agent, "conversation_id": f"c-{uuid.uuid4().hex[:6]}", "latency_ms": 100, **payload},
    }


async def _drain(worker: IngestWorker, rounds: int = 50) -> None:
    for _ in range(rounds):
        handled = [await i.handle_once(timeout_ms=50) for i in worker.ingestors]
        if not any(handled):
            return


def _count(sql: str, **params: object) -> int:
    return int(clickhouse.query_rows(sql, params)[0][0])


async def test_api_events_land_in_clickhouse_and_rollups(api: httpx.AsyncClient, worker: IngestWorker) -> None:
    tenant = await create_tenant()
    key = await create_key(tenant, "developer")
    events = [_log(outcome="handoff" if i % 4 == 0 else "answered", cost_usd=0.01) for i in range(200)]
    resp = await api.post("/api/v1/analytics/events", json={"events": events}, headers=bearer(key))
    assert resp.status_code == 202, resp.text
    assert resp.json()["accepted"] == 200 and resp.json()["rejected"] == 0
    await _drain(worker)
    tid = str(tenant.tenant_id)
    assert _count("SELECT count() FROM va.events FINAL WHERE tenant_id = {t:UUID}", t=tid) == 200
    assert _count("SELECT sum(events) FROM va.rollup_1m WHERE tenant_id = {t:UUID}", t=tid) == 200
    assert _count("SELECT sum(handoffs) FROM va.rollup_1h WHERE tenant_id = {t:UUID}", t=tid) == 50


async def test_single_event_and_bad_events_are_dead_lettered(api: httpx.AsyncClient, worker: IngestWorker) -> None:
    tenant = await create_tenant()
    key = await create_key(tenant, "developer")
    single = await api.post("/api/v1/analytics/events", json=_log(), headers=bearer(key))
    assert single.status_code == 202 and single.json()["accepted"] == 1
    mixed = [_log(), {"type": "conversation.logs", "payload": {"agent_id": "a"}}, _log(csat=11), 42]
    resp = await api.post("/api/v1/analytics/events", json=mixed, headers=bearer(key))
    body = resp.json()
    assert resp.status_code == 202 and body["accepted"] == 1 and body["rejected"] == 3
    assert [e["index"] for e in body["errors"]] == [1, 2, 3]
    assert "conversation_id" in body["errors"][0]["reason"]
    await _drain(worker)
    tid = str(tenant.tenant_id)
    assert _count("SELECT count() FROM va.events WHERE tenant_id = {t:UUID}", t=tid) == 2
    assert _count("SELECT count() FROM va.dead_letters WHERE tenant_id = {t:String}", t=tid) == 3


@pytest.mark.parametrize(
    ("body", "status"),
    [({"events": []}, 400), ({"events": "x"}, 400), ("text", 400), ({"events": [_log()] * 5001}, 400)],
)
async def test_bad_requests(api: httpx.AsyncClient, body: object, status: int) -> None:
    tenant = await create_tenant()
    key = await create_key(tenant, "developer")
    resp = await api.post("/api/v1/analytics/events", json=body, headers=bearer(key))
    assert resp.status_code == status and "error" in resp.json()
    garbage = await api.post(
        "/api/v1/analytics/events", content=b"{oops", headers={**bearer(key), "content-type": "application/json"}
    )
    assert garbage.status_code == 400


async def test_viewer_cannot_ingest(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    viewer = await create_key(tenant, "viewer")
    resp = await api.post("/api/v1/analytics/events", json=_log(), headers=bearer(viewer))
    assert resp.status_code == 403


async def test_redelivered_batch_is_counted_once(api: httpx.AsyncClient) -> None:
    """Worker A writes a batch and dies before acknowledging; worker B takes it over."""
    tenant = await create_tenant()
    key = await create_key(tenant, "developer")
    group = f"g-{uuid.uuid4().hex[:8]}"
    settings = get_settings().model_copy(deep=True)
    settings.bus.consumer_group = group
    settings.bus.claim_idle_ms = 200
    # Start the group at the end of the stream so this test sees only its own messages.
    import redis.asyncio as aioredis

    raw = aioredis.Redis.from_url(settings.resolved_redis_url)
    await raw.xgroup_create("va:bus:conversation.logs", f"{group}.conversation.logs", id="$", mkstream=True)
    await raw.aclose()
    a = IngestWorker(settings, name="worker-a")
    await a.start()
    b = IngestWorker(settings, name="worker-b")
    await b.start()
    try:
        events = [_log(cost_usd=0.5) for _ in range(300)]
        await api.post("/api/v1/analytics/events", json=events, headers=bearer(key))
        logs_a = next(i for i in a.ingestors if i.topic == "conversation.logs")
        messages = await logs_a.consumer.fetch(100, 200)
        units = await logs_a._plan(messages)
        assert units
        for token, unit in units:
            await logs_a.write_unit(token, unit)  # written, then "killed": no ack, manifest kept
        tid = str(tenant.tenant_id)
        assert _count("SELECT count() FROM va.events WHERE tenant_id = {t:UUID}", t=tid) == 300
        import asyncio

        await asyncio.sleep(0.3)  # longer than claim_idle_ms: B may claim A's entries
        await _drain(b)
        assert _count("SELECT count() FROM va.events WHERE tenant_id = {t:UUID}", t=tid) == 300
        assert _count("SELECT sum(events) FROM va.rollup_1m WHERE tenant_id = {t:UUID}", t=tid) == 300
        cost = clickhouse.query_rows("SELECT sum(cost_usd) FROM va.rollup_1h WHERE tenant_id = {t:UUID}", {"t": tid})
        assert cost[0][0] == pytest.approx(150.0)
        logs_b = next(i for i in b.ingestors if i.topic == "conversation.logs")
        assert await logs_b.consumer.lag() == 0
    finally:
        await a.close()
        await b.close()


async def test_pipeline_status_and_dead_letters_api(api: httpx.AsyncClient, worker: IngestWorker) -> None:
    tenant, other = await create_tenant(), await create_tenant()
    key = await create_key(tenant, "developer")
    bad = {"type": "conversation.logs", "payload": {"agent_id": "a", "latency_ms": -5}}
    await api.post("/api/v1/analytics/events", json=[_log(), bad, bad], headers=bearer(key))
    await _drain(worker)
    await worker._report_lag_once()
    status = (await api.get("/api/v1/analytics/pipeline", headers=bearer(key))).json()
    assert status["dead_letters_last_7_days"] == 2
    assert status["events_last_hour"] == 1
    assert status["backlog"]["worker_reporting"] is True
    assert "conversation.logs" in status["backlog"]["topics"]
    letters = (await api.get("/api/v1/analytics/dead-letters", headers=bearer(key))).json()
    assert letters["count"] == 2 and "conversation_id" in letters["data"][0]["reason"]
    theirs = (await api.get("/api/v1/analytics/dead-letters", headers=bearer(other.owner_key))).json()
    assert theirs["count"] == 0
