"""Gradual rollouts driven by analytics: the rollout controller rolls a failing version back on
its own, and advances then completes a healthy one."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from tests.api.agents.steps import API, agent_events, deploy, new_agent, new_version, ship, write_traffic
from tests.api_client import bearer
from tests.factories import create_tenant
from va_app.domain.agents import resolver
from va_app.domain.agents.controller import rollout_controller_tick

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]


async def _gradual(api: httpx.AsyncClient, h: dict, **extra: object) -> tuple[str, dict]:
    agent = await new_agent(api, h)
    await new_version(api, h, agent)
    await new_version(api, h, agent, system_prompt="v2")
    await ship(api, h, agent, 1)
    await ship(api, h, agent, 2, until="staging")
    resp = await deploy(
        api,
        h,
        agent,
        2,
        "production",
        strategy="gradual",
        schedule=[{"percent": 10, "hold_seconds": 60}, {"percent": 50, "hold_seconds": 60}, {"percent": 100}],
        reason="new prompt",
        **extra,
    )
    assert resp.status_code == 200, resp.text
    deployment = resp.json()
    assert deployment["status"] == "rolling_out" and deployment["percent"] == 10
    return agent, deployment


async def test_gradual_rollout_rolls_back_automatically_on_errors(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    agent, deployment = await _gradual(api, h)
    started = dt.datetime.fromisoformat(deployment["step_started_at"])
    # v2 fails 30 % of its turns; v1 stays healthy
    write_traffic(
        str(tenant.tenant_id),
        agent,
        started + dt.timedelta(seconds=1),
        started + dt.timedelta(seconds=50),
        seed=11,
        error_rate=0.3,
        latency_factor=1.0,
        version=2,
    )
    outcomes = await rollout_controller_tick(now=started + dt.timedelta(seconds=55))
    mine = next(o for o in outcomes if o.deployment_id == deployment["id"])
    assert mine.action == "rollback" and "error rate" in mine.reason, mine
    assert mine.candidate["error_rate"] > 0.2 and mine.stable["error_rate"] < 0.05

    prod = (await api.get(f"{API}/agents/{agent}/environments", headers=h)).json()["production"]
    assert prod["status"] == "rolled_back" and prod["percent"] == 0 and prod["stable_version_number"] == 1
    history = (
        await api.get(f"{API}/agents/{agent}/deployments", params={"environment": "production"}, headers=h)
    ).json()
    last = history["data"][0]
    assert last["kind"] == "rollout.rolled_back" and last["details"]["automatic"] is True
    assert last["actor_label"] == "rollout-controller" and last["from_version"] == 2 and last["to_version"] == 1
    kinds = [e["payload"]["kind"] for e in await agent_events(str(tenant.tenant_id))]
    assert "rollout.started" in kinds and "rollout.rolled_back" in kinds
    # every conversation is back on v1
    for i in range(50):
        version, data = await resolver.resolve_version(tenant.tenant_id, agent, "production", f"conv-{i}")
        assert version == 1 and data.number == 1


async def test_healthy_gradual_rollout_advances_then_completes(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    # Both versions get the same synthetic traffic, but the stable slice is ~240 turns and where
    # the generator puts them depends on the wall clock: about one start time in 400 gives it a
    # handoff rate 5 points under the candidate's. This test is about advancing, so it allows that.
    agent, deployment = await _gradual(api, h, thresholds={"max_handoff_rate_increase": 0.15})
    started = dt.datetime.fromisoformat(deployment["step_started_at"])
    write_traffic(
        str(tenant.tenant_id), agent, started + dt.timedelta(seconds=1), started + dt.timedelta(seconds=50), 12
    )

    early = await rollout_controller_tick(now=started + dt.timedelta(seconds=30))
    assert next(o for o in early if o.deployment_id == deployment["id"]).action == "hold"
    outcomes = await rollout_controller_tick(now=started + dt.timedelta(seconds=61))
    mine = next(o for o in outcomes if o.deployment_id == deployment["id"])
    assert mine.action == "advance", mine
    prod = (await api.get(f"{API}/agents/{agent}/environments", headers=h)).json()["production"]
    assert prod["status"] == "rolling_out" and prod["percent"] == 50 and prod["step_index"] == 1

    step2 = dt.datetime.fromisoformat(prod["step_started_at"])
    write_traffic(str(tenant.tenant_id), agent, step2 + dt.timedelta(seconds=1), step2 + dt.timedelta(seconds=50), 13)
    done = await rollout_controller_tick(now=step2 + dt.timedelta(seconds=61))
    assert next(o for o in done if o.deployment_id == deployment["id"]).action == "complete"
    prod = (await api.get(f"{API}/agents/{agent}/environments", headers=h)).json()["production"]
    assert prod["status"] == "active" and prod["stable_version_number"] == 2 and prod["percent"] == 100
    kinds = [e["payload"]["kind"] for e in await agent_events(str(tenant.tenant_id))]
    assert "rollout.advanced" in kinds and "rollout.completed" in kinds
