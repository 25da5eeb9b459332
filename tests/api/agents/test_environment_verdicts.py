"""Verdicts per environment: every turn event says which environment (and deployment) served
it, and the rollout controller, experiment results and per-version charts of one environment
count only that environment's users. Staging traffic and console test turns never decide a
production verdict."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from core.config import get_settings
from ingest.consumer import IngestWorker
from tests.api.agents.steps import API, deploy, new_agent, new_version, ship, write_traffic
from tests.api_client import bearer
from tests.chat_setup import add_version, bus_events, hotel_agent
from tests.factories import create_tenant
from va_app.domain.agents.controller import rollout_controller_tick
from va_app.domain.conversations import console, events
from va_app.domain.conversations import llm as chat_llm
from va_app.domain.conversations.turn import ChatInput
from va_app.domain.llm.contracts import LLMRequest, LLMResult

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]


class _Broken:
    """A router whose provider always fails: every turn that reaches it is an error turn."""

    async def complete(self, request: LLMRequest) -> LLMResult:
        raise RuntimeError("provider down")

    async def stream(self, request: LLMRequest) -> AsyncIterator[object]:
        raise RuntimeError("provider down")
        yield  # pragma: no cover


@pytest.fixture
async def worker() -> AsyncIterator[IngestWorker]:
    """A real ingest worker on a fresh consumer group starting at the streams' ends."""
    import redis.asyncio as aioredis

    from core.events import DEAD_LETTER_TOPIC, EVENT_TYPES

    settings = get_settings().model_copy(deep=True)
    settings.bus.consumer_group = f"g-{uuid.uuid4().hex[:8]}"
    raw = aioredis.Redis.from_url(settings.resolved_redis_url)
    for topic in (*EVENT_TYPES, DEAD_LETTER_TOPIC):
        await raw.xgroup_create(f"va:bus:{topic}", f"{settings.bus.consumer_group}.{topic}", id="$", mkstream=True)
    await raw.aclose()
    w = IngestWorker(settings, name="env-test-worker")
    await w.start()
    yield w
    await w.close()


async def _drain(worker: IngestWorker) -> None:
    await events.flush()
    for _ in range(50):
        if not any([await i.handle_once(timeout_ms=50) for i in worker.ingestors]):
            return


async def _chat(api: httpx.AsyncClient, h: dict, slug: str, environment: str, conversation: str) -> int:
    body = {"message": "What time is check-out?", "conversation_id": conversation, "environment": environment}
    resp = await api.post(f"{API}/agents/{slug}/chat", json=body, headers=h)
    return resp.status_code


async def test_staging_errors_do_not_roll_back_a_healthy_production_canary(
    api: httpx.AsyncClient, worker: IngestWorker
) -> None:
    hotel = await hotel_agent(api)  # v2 serves development, staging and production
    h = hotel.headers
    v3 = await add_version(api, h, hotel.slug, system_prompt="You are the Aurelia concierge. Be brief.")
    for env in ("development", "staging"):
        assert (await deploy(api, h, hotel.slug, v3, env)).status_code == 200
    # Judged on errors: the local model answers in a few ms, where a p95 ratio is noise.
    thresholds = {"min_events": 15, "max_latency_p95_ratio": 100}
    canary = await deploy(api, h, hotel.slug, v3, "production", strategy="canary", percent=50, thresholds=thresholds)
    assert canary.status_code == 200, canary.text
    envs = (await api.get(f"{API}/agents/{hotel.slug}/environments", headers=h)).json()

    # v3 is broken in staging: every staging turn fails ...
    chat_llm.use_router(_Broken())
    try:
        failed = [await _chat(api, h, hotel.slug, "staging", f"s-{i}") for i in range(40)]
    finally:
        chat_llm.use_router(None)
    assert set(failed) == {503}
    # ... while production users of both versions are served well.
    served = [await _chat(api, h, hotel.slug, "production", f"p-{i}") for i in range(60)]
    assert set(served) == {200}
    # An operator tries the canary from the console: test traffic, whatever the environment.
    owner = hotel.tenant.owner()
    await console.console_chat(owner, hotel.slug, ChatInput("Is breakfast included?", channel=console.CHANNEL))

    turns = [e["payload"] for e in await bus_events("conversation.logs", hotel.tenant.tenant_id)]
    assert {t["environment"] for t in turns} == {"staging", "production"}
    for turn in turns:
        assert turn["deployment_id"] == envs[turn["environment"]]["id"], turn
    staged = [t for t in turns if t["environment"] == "staging"]
    assert len(staged) == 40 and {(t["version"], t["outcome"]) for t in staged} == {(v3, "error")}
    tried = [t for t in turns if t["channel"] == "console"]
    assert len(tried) == 1 and tried[0]["environment"] == "production"
    await _drain(worker)

    outcomes = await rollout_controller_tick(now=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    mine = next(o for o in outcomes if o.deployment_id == canary.json()["id"])
    assert mine.action == "hold", mine
    assert mine.candidate["error_rate"] == 0 and 15 <= mine.candidate["events"] <= 45, mine
    assert mine.candidate["events"] + (mine.stable or {}).get("events", 0) == 60  # production users only
    prod = (await api.get(f"{API}/agents/{hotel.slug}/environments", headers=h)).json()["production"]
    assert prod["status"] == "rolling_out" and prod["percent"] == 50


async def _experiment(api: httpx.AsyncClient, h: dict, agent: str) -> dict:
    resp = await api.post(
        f"{API}/agents/{agent}/experiments",
        json={
            "name": "shorter prompt",
            "environment": "production",
            "variants": [{"version": 1, "percent": 50}, {"version": 2, "percent": 50}],
            "primary_metric": "error_rate",
        },
        headers=h,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


async def test_experiment_verdict_in_production_ignores_staging_traffic(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    agent = await new_agent(api, h)
    await new_version(api, h, agent)
    await new_version(api, h, agent, system_prompt="v2")
    await ship(api, h, agent, 1)
    await ship(api, h, agent, 2, until="staging")
    experiment = await _experiment(api, h, agent)
    started = dt.datetime.fromisoformat(experiment["started_at"]) + dt.timedelta(milliseconds=5)
    await asyncio.sleep(0.2)
    now = dt.datetime.now(dt.UTC)
    tid = str(tenant.tenant_id)
    # Production: both versions alike. Staging: v2 fails a third of its turns.
    write_traffic(tid, agent, started, now, 21, environment="production")
    write_traffic(tid, agent, started, now, 22, environment="staging", error_rate=0.35, version=2)

    results = (await api.get(f"{API}/agents/{agent}/experiments/{experiment['id']}", headers=h)).json()
    assert results["winner_version"] is None, results["verdict"]
    assert results["verdict"].startswith("No significant difference"), results["verdict"]
    assert sum(v["events"] for v in results["variants"]) == 4000  # the production turns, not 8000
    assert all(v["error_rate"] < 0.05 for v in results["variants"]), results["variants"]


async def test_version_stats_and_charts_are_per_environment(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    agent = await new_agent(api, h)
    end = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = end - dt.timedelta(hours=2)
    tid = str(tenant.tenant_id)
    write_traffic(tid, agent, start, end, 31, environment="production")
    write_traffic(tid, agent, start, end, 32, environment="staging", error_rate=0.5, version=2)
    margin = dt.timedelta(minutes=1)
    window = {"start": (start - margin).isoformat(), "end": (end + margin).isoformat()}

    async def panels(**params: str) -> dict:
        resp = await api.get(f"{API}/agents/{agent}/metrics", params={**window, **params}, headers=h)
        assert resp.status_code == 200, resp.text
        assert resp.json()["environment"] == params.get("environment", "production")
        return resp.json()["panels"]

    production = await panels()  # verdict-type figures default to production
    staging = await panels(environment="staging")
    everything = await panels(environment="all")
    assert production["summary"]["events"] == 4000 and staging["summary"]["events"] == 4000
    assert everything["summary"]["events"] == 8000
    prod_v2 = next(r for r in production["by_version"] if r["dimension"] == 2)
    staging_v2 = next(r for r in staging["by_version"] if r["dimension"] == 2)
    assert prod_v2["error_rate"] < 0.05 < 0.3 < staging_v2["error_rate"]
    assert sum(r["events"] for r in production["timeseries"]) == 4000

    bad = await api.get(f"{API}/agents/{agent}/metrics", params={"environment": "qa"}, headers=h)
    assert bad.status_code == 422 and "error" in bad.json()
