"""Experiments through the API: variants split traffic, results carry a significance test and a
verdict, and stopping promotes the winner."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest

from tests.api.agents.steps import API, deploy, new_agent, new_version, ship, write_traffic
from tests.api_client import bearer
from tests.factories import create_tenant
from va_app.domain.agents import resolver

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]


async def test_experiment_results_verdict_and_promotion(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    agent = await new_agent(api, h)
    await new_version(api, h, agent)
    await new_version(api, h, agent, system_prompt="v2")
    await ship(api, h, agent, 1)
    await ship(api, h, agent, 2, until="staging")
    bad = await api.post(
        f"{API}/agents/{agent}/experiments",
        json={"name": "x", "variants": [{"version": 1, "percent": 50}, {"version": 2, "percent": 40}]},
        headers=h,
    )
    assert bad.status_code == 400
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
    experiment = resp.json()
    assert (await deploy(api, h, agent, 2, "production")).status_code == 409  # the experiment owns production
    counts = {1: 0, 2: 0}
    for i in range(200):
        counts[(await resolver.resolve_version(tenant.tenant_id, agent, "production", f"e-{i}"))[0]] += 1
    assert min(counts.values()) > 60

    started = dt.datetime.fromisoformat(experiment["started_at"]) + dt.timedelta(milliseconds=5)
    await asyncio.sleep(0.2)
    write_traffic(str(tenant.tenant_id), agent, started, dt.datetime.now(dt.UTC), 14, error_rate=0.08, version=1)
    results = (await api.get(f"{API}/agents/{agent}/experiments/{experiment['id']}", headers=h)).json()
    assert [v["version"] for v in results["variants"]] == [1, 2]
    assert results["comparisons"][0]["test"] == "two-proportion z-test"
    assert results["comparisons"][0]["significant"] and results["winner_version"] == 2
    assert results["verdict"].startswith("v2 wins on error rate")

    stopped = await api.post(
        f"{API}/agents/{agent}/experiments/{experiment['id']}/stop", json={"promote_winner": True}, headers=h
    )
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["deployment"]["version_number"] == 2
    prod = (await api.get(f"{API}/agents/{agent}/environments", headers=h)).json()["production"]
    assert prod["stable_version_number"] == 2
    listed = (await api.get(f"{API}/agents/{agent}/experiments", headers=h)).json()["data"]
    assert listed[0]["status"] == "stopped" and listed[0]["winner_version"] == 2
