"""Dashboards read rollups, and rollups agree with the raw events they summarise."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from analytics import generator
from analytics.queries import metrics as mq
from tests.api_client import bearer
from tests.factories import create_agent, create_key, create_tenant

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]
END = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


async def _tenant_with_traffic(events: int = 20_000):  # type: ignore[no-untyped-def]
    tenant = await create_tenant()
    agent = await create_agent(tenant, slug="concierge")
    spec = generator.GeneratorSpec(
        tenants=[generator.TenantSpec(str(tenant.tenant_id), (generator.AgentSpec(agent, (1, 2)),))],
        events=events,
        end=END,
        days=2,
    )
    for batch in generator.generate_batches(spec):
        generator.write_batch(batch)
    return tenant, agent


@pytest.mark.parametrize(
    ("granularity", "dimension"),
    [("hour", None), ("minute", None), ("day", "model"), ("hour", "channel"), ("total", "version")],
)
async def test_rollups_match_raw(granularity: str, dimension: str | None) -> None:
    tenant, _ = await _tenant_with_traffic()
    start = END - dt.timedelta(hours=6 if granularity == "minute" else 48)
    base = mq.MetricQuery(str(tenant.tenant_id), start, END, granularity, dimension)  # type: ignore[arg-type]
    raw = mq.metrics(mq.MetricQuery(**{**base.__dict__, "source": "raw"}))
    rolled = mq.metrics(base)
    assert mq.choose_table(base).startswith("rollup")
    keys = ["bucket", *(["dimension"] if dimension else [])]
    raw, rolled = raw.sort(keys), rolled.sort(keys)
    for column in ("events", "errors", "handoffs", "automated", "contained", "prompt_tokens", "csat_count"):
        assert raw[column].to_list() == rolled[column].to_list(), column
    assert rolled["cost_usd"].sum() == pytest.approx(raw["cost_usd"].sum())
    assert rolled["events"].sum() > 0


async def test_dashboard_api_panels_and_filters(api: httpx.AsyncClient) -> None:
    tenant, agent = await _tenant_with_traffic()
    viewer = await create_key(tenant, "viewer")
    params = {"start": (END - dt.timedelta(days=2)).isoformat(), "end": END.isoformat()}
    resp = await api.get("/api/v1/analytics/dashboards", params=params, headers=bearer(viewer))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["granularity"] == "day" or body["granularity"] == "hour"
    summary = body["panels"]["summary"]
    assert summary["events"] == 20_000
    assert 0 < summary["automation_rate"] < 1 and summary["latency_p95"] > summary["latency_p50"]
    assert {r["dimension"] for r in body["panels"]["by_version"]} == {1, 2}
    assert len(body["panels"]["by_intent"]) == len(generator.INTENTS)
    assert set(body["timings_ms"]) == set(body["panels"])

    web = await api.get(
        "/api/v1/analytics/dashboards", params={**params, "channel": "web", "panels": "summary"}, headers=bearer(viewer)
    )
    assert 0 < web.json()["panels"]["summary"]["events"] < 20_000
    assert set(web.json()["panels"]) == {"summary"}

    per_agent = await api.get("/api/v1/agents/concierge/metrics", params=params, headers=bearer(viewer))
    assert per_agent.status_code == 200
    assert per_agent.json()["agent"]["id"] == agent
    assert per_agent.json()["panels"]["summary"]["events"] == 20_000


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
        {"start": "2025-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z", "granularity": "minute"},
        {"panels": "summary,nonsense"},
        {"granularity": "fortnight"},
        {"version": "-1"},
    ],
)
async def test_bad_dashboard_requests_are_4xx(api: httpx.AsyncClient, params: dict) -> None:
    tenant = await create_tenant()
    resp = await api.get("/api/v1/analytics/dashboards", params=params, headers=bearer(tenant.owner_key))
    assert resp.status_code in (400, 422) and "error" in resp.json()


async def test_other_tenants_data_and_agents_are_invisible(api: httpx.AsyncClient) -> None:
    tenant, agent = await _tenant_with_traffic(2_000)
    other = await create_tenant()
    params = {"start": (END - dt.timedelta(days=2)).isoformat(), "end": END.isoformat(), "panels": "summary"}
    mine = await api.get("/api/v1/analytics/dashboards", params=params, headers=bearer(other.owner_key))
    assert mine.json()["panels"]["summary"]["events"] == 0
    theirs = await api.get(f"/api/v1/agents/{agent}/metrics", params=params, headers=bearer(other.owner_key))
    assert theirs.status_code == 404
    peek = await api.get(
        "/api/v1/analytics/dashboards",
        params={**params, "tenant_id": str(tenant.tenant_id)},
        headers=bearer(other.owner_key),
    )
    assert peek.status_code == 403
