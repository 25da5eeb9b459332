"""Every agent mutation through the API lands in the audit trail, with before and after."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.api.agents.steps import API, deploy, new_agent, new_version, ship
from tests.api_client import bearer
from tests.factories import create_tenant

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]


async def test_every_mutation_is_audited(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    agent = await new_agent(api, h)
    await api.patch(f"{API}/agents/{agent}", json={"description": "new"}, headers=h)
    await new_version(api, h, agent)
    await new_version(api, h, agent, system_prompt="v2")
    await ship(api, h, agent, 1)
    await ship(api, h, agent, 2, until="staging")
    await deploy(api, h, agent, 2, "production", strategy="canary", percent=10)
    await api.post(f"{API}/agents/{agent}/rollback", headers=h)
    experiment = (
        await api.post(
            f"{API}/agents/{agent}/experiments",
            json={"name": "ab", "variants": [{"version": 1, "percent": 50}, {"version": 2, "percent": 50}]},
            headers=h,
        )
    ).json()
    await api.post(f"{API}/agents/{agent}/experiments/{experiment['id']}/stop", json={}, headers=h)
    await api.post(f"{API}/agents/{agent}/clone", json={"slug": f"c-{uuid.uuid4().hex[:6]}"}, headers=h)
    await api.delete(f"{API}/agents/{agent}", headers=h)
    await api.post(f"{API}/agents/{agent}/restore", headers=h)
    entries = (await api.get(f"{API}/audit-logs", params={"action": "agent.", "limit": 200}, headers=h)).json()["data"]
    actions = {e["action"] for e in entries}
    assert actions >= {
        "agent.create",
        "agent.update",
        "agent.version.create",
        "agent.deployment.deployed",
        "agent.rollout.started",
        "agent.rollout.rolled_back",
        "agent.experiment.start",
        "agent.experiment.stop",
        "agent.archive",
        "agent.restore",
    }
    update = next(e for e in entries if e["action"] == "agent.update")
    assert update["before"]["description"] == "" and update["after"]["description"] == "new"
