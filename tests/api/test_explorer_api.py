"""The conversation explorer API: search with filters, transcripts, tenant isolation."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from analytics import generator
from tests.api_client import bearer
from tests.factories import create_key, create_tenant

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]
END = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
RANGE = {"start": (END - dt.timedelta(days=2)).isoformat(), "end": END.isoformat()}


async def _tenant_with_traffic(events: int = 600):  # type: ignore[no-untyped-def]
    tenant = await create_tenant()
    spec = generator.GeneratorSpec(
        tenants=[generator.TenantSpec(str(tenant.tenant_id), (generator.AgentSpec("concierge", (1, 2)),))],
        events=events,
        end=END,
        days=2,
    )
    for batch in generator.generate_batches(spec):
        generator.write_batch(batch)
    return tenant


async def test_search_filters_and_transcript(api: httpx.AsyncClient) -> None:
    tenant = await _tenant_with_traffic()
    viewer = await create_key(tenant, "viewer")
    resp = await api.get("/api/v1/conversations", params={**RANGE, "limit": 500}, headers=bearer(viewer))
    assert resp.status_code == 200, resp.text
    rows = resp.json()["data"]
    assert rows and resp.json()["count"] == len(rows)
    assert {"conversation_id", "agent_id", "turns", "last_outcome", "cost_usd"} <= set(rows[0])

    v2 = await api.get("/api/v1/conversations", params={**RANGE, "version": 2}, headers=bearer(viewer))
    assert v2.json()["data"] and all(r["version"] == 2 for r in v2.json()["data"])
    handed = await api.get("/api/v1/conversations", params={**RANGE, "outcome": "handoff"}, headers=bearer(viewer))
    assert all(r["handed_off"] for r in handed.json()["data"])

    conversation = rows[0]["conversation_id"]
    one = await api.get(
        f"/api/v1/conversations/{conversation}", params={"around": END.isoformat()}, headers=bearer(viewer)
    )
    assert one.status_code == 200, one.text
    body = one.json()
    assert body["conversation_id"] == conversation and body["totals"]["turns"] == len(body["turns"]) >= 1
    turn = body["turns"][0]
    assert {"ts", "user_message", "reply", "model", "latency_ms", "prompt_tokens", "cost_usd", "cache_kind"} <= set(
        turn
    )
    times = [t["ts"] for t in body["turns"]]
    assert times == sorted(times)


async def test_other_tenant_and_bad_requests(api: httpx.AsyncClient) -> None:
    tenant = await _tenant_with_traffic(100)
    other = await create_tenant()
    rows = (await api.get("/api/v1/conversations", params=RANGE, headers=bearer(tenant.owner_key))).json()["data"]
    conversation = rows[0]["conversation_id"]
    theirs = await api.get(
        f"/api/v1/conversations/{conversation}", params={"around": END.isoformat()}, headers=bearer(other.owner_key)
    )
    assert theirs.status_code == 404 and theirs.json()["error"]["code"] == "not_found"
    empty = await api.get("/api/v1/conversations", params=RANGE, headers=bearer(other.owner_key))
    assert empty.json()["data"] == []
    backwards = {"start": RANGE["end"], "end": RANGE["start"]}
    bad = await api.get("/api/v1/conversations", params=backwards, headers=bearer(tenant.owner_key))
    assert bad.status_code == 400 and "after its start" in bad.json()["error"]["message"]
    peek = await api.get(
        "/api/v1/conversations", params={"tenant_id": str(tenant.tenant_id)}, headers=bearer(other.owner_key)
    )
    assert peek.status_code == 403
