"""The LLM and budget routes end to end: models, raw queries, provider keys, budgets, optimize."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from analytics import generator
from core.services import EmbeddedPostgres
from tests.api_client import bearer
from tests.factories import create_agent, create_key, create_tenant
from tools.fake_llm import FakeLLMServer
from va_app.domain.llm import tenant_config

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]
API = "/api/v1"
KNOWLEDGE = ["Breakfast is served from 7 to 10 am in the garden restaurant.", "The spa opens at 9 am."]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


def _custom(fake: FakeLLMServer, price: float = 0.002) -> dict:
    return {
        "api_key": "sk-tenant-secret-123",
        "base_url": fake.openai_base_url,
        "models": [
            {
                "name": "house-llm",
                "upstream": "house-upstream",
                "tier": "standard",
                "input_per_1k": price,
                "output_per_1k": price,
            }
        ],
    }


async def test_offline_models_and_local_query(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    models = (await api.get(f"{API}/llm/models", headers=h)).json()
    assert [m["name"] for m in models["data"]] == ["local"]
    assert models["data"][0]["input_per_1k"] == 0 and models["data"][0]["state"] == "closed"

    resp = await api.post(f"{API}/llm/query", json={"prompt": "When is breakfast?", "knowledge": KNOWLEDGE}, headers=h)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["model"] == "local" and "7 to 10 am" in body["text"] and "spa" not in body["text"]
    assert body["cost_usd"] == 0 and body["usage"]["total_tokens"] > 0 and body["extra"]["degraded_tier"] is True

    unknown = await api.post(f"{API}/llm/query", json={"prompt": "hi", "model": "gpt-17"}, headers=h)
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown_model"
    empty = await api.post(f"{API}/llm/query", json={"messages": []}, headers=h)
    assert empty.status_code == 422

    health = (await api.get(f"{API}/llm/health", headers=h)).json()["data"]
    assert [(r["model"], r["state"]) for r in health] == [("local", "closed")] and health[0]["calls"] >= 1


async def test_streaming_query_is_server_sent_events(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    body = {"prompt": "When is breakfast?", "knowledge": KNOWLEDGE, "stream": True}
    resp = await api.post(f"{API}/llm/query", json=body, headers=bearer(tenant.owner_key))
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
    events = [line[6:] for line in resp.text.splitlines() if line.startswith("data: ")]
    assert len(events) > 2 and '"done":true' in events[-1]


async def test_provider_credentials_and_custom_models_are_per_tenant(
    api: httpx.AsyncClient, fake: FakeLLMServer, postgres_server: EmbeddedPostgres
) -> None:
    a, b = await create_tenant(), await create_tenant()
    put = await api.put(f"{API}/llm/providers/house", json=_custom(fake), headers=bearer(a.owner_key))
    assert put.status_code == 200, put.text
    assert put.json() == {
        "provider": "house",
        "wire": "openai",
        "base_url": fake.openai_base_url,
        "has_api_key": True,
        "models": ["house-llm"],
    }
    listed = await api.get(f"{API}/llm/providers", headers=bearer(a.owner_key))
    assert "sk-tenant-secret" not in listed.text and listed.json()["count"] == 1
    with psycopg.connect(postgres_server.url) as conn:
        stored = conn.execute(
            "SELECT api_key_enc FROM provider_credentials WHERE tenant_id = %s", (a.tenant_id,)
        ).fetchone()
    assert stored is not None and "sk-tenant-secret" not in stored[0]  # encrypted at rest

    names_a = {m["name"] for m in (await api.get(f"{API}/llm/models", headers=bearer(a.owner_key))).json()["data"]}
    names_b = {m["name"] for m in (await api.get(f"{API}/llm/models", headers=bearer(b.owner_key))).json()["data"]}
    assert "house-llm" in names_a and "house-llm" not in names_b
    assert (await api.get(f"{API}/llm/providers", headers=bearer(b.owner_key))).json()["count"] == 0

    answer = await api.post(
        f"{API}/llm/query", json={"prompt": "Hello house", "model": "house-llm"}, headers=bearer(a.owner_key)
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["text"].startswith("Fake answer from house-upstream") and answer.json()["cost_usd"] > 0
    routed = await api.post(f"{API}/llm/query", json={"prompt": "What time is check-in?"}, headers=bearer(a.owner_key))
    assert routed.json()["model"] == "house-llm"  # cheapest standard-tier model, local is only a last resort
    denied = await api.post(f"{API}/llm/query", json={"prompt": "x", "model": "house-llm"}, headers=bearer(b.owner_key))
    assert denied.status_code == 400

    assert (await api.delete(f"{API}/llm/providers/house", headers=bearer(b.owner_key))).status_code == 404
    assert (await api.delete(f"{API}/llm/providers/house", headers=bearer(a.owner_key))).status_code == 204
    tenant_config.invalidate()
    names_a = {m["name"] for m in (await api.get(f"{API}/llm/models", headers=bearer(a.owner_key))).json()["data"]}
    assert names_a == {"local"}


async def test_provider_validation_and_roles(api: httpx.AsyncClient, fake: FakeLLMServer) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    no_url = await api.put(f"{API}/llm/providers/vllm", json={"wire": "openai", "models": [{"name": "l3"}]}, headers=h)
    assert no_url.status_code == 400 and "base_url" in no_url.json()["error"]["message"]
    local = await api.put(f"{API}/llm/providers/local", json={"api_key": "x"}, headers=h)
    assert local.status_code == 400
    clash = await api.put(f"{API}/llm/providers/anthropic", json={"models": [{"name": "gpt-4o"}]}, headers=h)
    assert clash.status_code == 400
    developer = await create_key(tenant, "developer")
    forbidden = await api.put(f"{API}/llm/providers/house", json=_custom(fake), headers=bearer(developer))
    assert forbidden.status_code == 403


async def test_budget_crud_usage_and_refusal(api: httpx.AsyncClient, fake: FakeLLMServer) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    await api.put(f"{API}/llm/providers/house", json=_custom(fake), headers=h)
    created = await api.post(f"{API}/budgets", json={"period": "daily", "limit_usd": 0.0005}, headers=h)
    assert created.status_code == 201, created.text
    budget = created.json()
    assert (budget["scope"], budget["hard"]) == ("tenant", True)
    dup = await api.post(f"{API}/budgets", json={"period": "daily", "limit_usd": 5}, headers=h)
    assert dup.status_code == 409
    missing_id = await api.post(f"{API}/budgets", json={"scope": "agent", "limit_usd": 5}, headers=h)
    assert missing_id.status_code == 400
    agent = await create_agent(tenant)
    assert (
        await api.post(f"{API}/budgets", json={"scope": "agent", "scope_id": agent, "limit_usd": 5}, headers=h)
    ).status_code == 201

    refused = None
    for _ in range(20):
        body = {"prompt": "What time is check-in?", "max_output_tokens": 50}
        resp = await api.post(f"{API}/llm/query", json=body, headers=h)
        if resp.status_code != 200:
            refused = resp
            break
    assert refused is not None and refused.status_code == 429
    assert refused.json()["error"]["code"] == "budget_exceeded" and int(refused.headers["retry-after"]) > 0

    streamed = await api.post(f"{API}/llm/query", json={**body, "stream": True}, headers=h)
    assert streamed.status_code == 429  # refused before the event stream starts

    usage = (await api.get(f"{API}/budgets/usage", headers=h)).json()
    daily = next(u for u in usage["data"] if u["budget"]["id"] == budget["id"])
    assert 0 < daily["spent_usd"] <= 0.0005 and daily["reserved_usd"] == 0
    assert daily["remaining_usd"] == pytest.approx(0.0005 - daily["spent_usd"], abs=1e-9)
    assert usage["totals"]["today"]["cost_usd"] == pytest.approx(daily["spent_usd"], abs=1e-9)
    assert usage["totals"]["today"]["cost_by"]["model"]["house-llm"] > 0

    assert len((await api.get(f"{API}/budgets", headers=h)).json()["data"]) == 2
    assert (await api.delete(f"{API}/budgets/{budget['id']}", headers=h)).status_code == 204
    assert (await api.delete(f"{API}/budgets/{budget['id']}", headers=h)).status_code == 404
    assert (await api.post(f"{API}/llm/query", json={"prompt": "hi again"}, headers=h)).status_code == 200


async def test_optimize_reprices_recent_traffic(api: httpx.AsyncClient, fake: FakeLLMServer) -> None:
    tenant = await create_tenant()
    agent = await create_agent(tenant, slug="concierge")
    spec = generator.GeneratorSpec(
        tenants=[generator.TenantSpec(str(tenant.tenant_id), (generator.AgentSpec(agent, (1,)),))],
        events=3000,
        end=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
        days=2,
    )
    for batch in generator.generate_batches(spec):
        generator.write_batch(batch)
    h = bearer(tenant.owner_key)
    await api.put(f"{API}/llm/providers/house", json=_custom(fake, price=0.0001), headers=h)
    resp = await api.post(f"{API}/llm/optimize", json={"days": 7, "weights": {"house-llm": 1}}, headers=h)
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["calls"] > 0 and report["actual_cost_usd"] > 0 and report["prompt_tokens"] > 0
    policies = {p["policy"]: p for p in report["policies"]}
    assert set(policies) == {"cheapest", "complexity", "latency", "weighted"}
    expected = (report["prompt_tokens"] + report["completion_tokens"]) * 0.0001 / 1000
    assert policies["cheapest"]["estimated_cost_usd"] == pytest.approx(expected, rel=1e-3, abs=1e-6)
    assert policies["cheapest"]["models"] == {"house-llm": 1.0}
    assert "would have cost" in report["recommendation"]
    viewer = await create_key(tenant, "viewer")
    assert (await api.post(f"{API}/llm/optimize", json={}, headers=bearer(viewer))).status_code == 200
