"""Deployments through the API: promotion order and who may deploy to production, bad deploy
requests as 4xx JSON, sticky canary routing and one-call rollback."""

from __future__ import annotations

import httpx
import pytest

from tests.api.agents.steps import API, deploy, new_agent, new_version, ship
from tests.api_client import bearer
from tests.factories import create_key, create_tenant
from va_app.domain.agents import resolver

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]


async def test_promotion_order_and_production_permission(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    developer = bearer(await create_key(tenant, "developer"))
    agent = await new_agent(api, h)
    await new_version(api, h, agent)

    skip = await deploy(api, h, agent, 1, "production")
    assert skip.status_code == 409 and skip.json()["error"]["code"] == "promotion_order"
    skip_dev = await deploy(api, h, agent, 1, "staging")
    assert skip_dev.status_code == 409

    assert (await deploy(api, developer, agent, 1, "development")).status_code == 200
    promoted = await api.post(
        f"{API}/agents/{agent}/promote", json={"from_environment": "development"}, headers=developer
    )
    assert promoted.status_code == 200 and promoted.json()["environment"] == "staging"
    denied = await deploy(api, developer, agent, 1, "production")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "permission_denied"
    denied_promote = await api.post(
        f"{API}/agents/{agent}/promote", json={"from_environment": "staging"}, headers=developer
    )
    assert denied_promote.status_code == 403
    admin = bearer(await create_key(tenant, "admin"))
    live = await deploy(api, admin, agent, 1, "production", reason="launch")
    assert live.status_code == 200 and live.json()["status"] == "active"
    envs = (await api.get(f"{API}/agents/{agent}/environments", headers=h)).json()
    assert {e: envs[e]["stable_version_number"] for e in envs} == {"development": 1, "staging": 1, "production": 1}
    history = (await api.get(f"{API}/agents/{agent}/deployments", headers=h)).json()["data"]
    assert [e["environment"] for e in history] == ["production", "staging", "development"]
    assert history[0]["reason"] == "launch" and history[0]["actor_label"].startswith("key")


@pytest.mark.parametrize(
    "body",
    [
        {"version": 1, "environment": "development", "strategy": "canary"},
        {"version": 1, "environment": "development", "strategy": "gradual", "schedule": [{"percent": 50}]},
        {"version": 99, "environment": "development"},
        {"version": 1, "environment": "moon"},
        {"version": 1, "environment": "development", "thresholds": {"max_error_rate": 2}},
        {"version": "one", "environment": "development"},
    ],
)
async def test_bad_deploy_requests_are_4xx_json(api: httpx.AsyncClient, body: dict) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    agent = await new_agent(api, h)
    await new_version(api, h, agent)
    await deploy(api, h, agent, 1, "development")
    resp = await api.put(f"{API}/agents/{agent}/deploy", json=body, headers=h)
    assert resp.status_code in (400, 409, 422), resp.text
    assert set(resp.json()["error"]) >= {"code", "message"}


async def test_canary_routing_is_sticky_and_rollback_is_one_call(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    agent = await new_agent(api, h)
    for prompt in ("v1", "v2", "v3"):
        await new_version(api, h, agent, system_prompt=prompt)
    await ship(api, h, agent, 1)
    await ship(api, h, agent, 2)
    await ship(api, h, agent, 3, until="staging")
    canary = await deploy(api, h, agent, 3, "production", strategy="canary", percent=20)
    assert canary.status_code == 200 and canary.json()["stable_version_number"] == 2

    first = {}
    for i in range(400):
        first[i], data = await resolver.resolve_version(tenant.tenant_id, agent, "production", f"c-{i}")
        assert data.system_prompt == f"v{first[i]}"
    share = sum(v == 3 for v in first.values()) / len(first)
    # The agent id salts the hash, so the share is a fresh binomial draw each run: allow 4.5
    # standard errors (0.2 +- 0.09 at n = 400; a false alarm about once in 150,000 runs).
    assert abs(share - 0.2) < 4.5 * (0.2 * 0.8 / len(first)) ** 0.5, share
    for i in range(400):
        assert (await resolver.resolve_version(tenant.tenant_id, agent, "production", f"c-{i}"))[0] == first[i]

    dropped = await api.post(f"{API}/agents/{agent}/rollback", json={"reason": "odd answers"}, headers=h)
    assert dropped.status_code == 200 and dropped.json()["status"] == "rolled_back"
    assert {
        (await resolver.resolve_version(tenant.tenant_id, agent, "production", f"c-{i}"))[0] for i in range(50)
    } == {2}
    back = await api.post(f"{API}/agents/{agent}/rollback", headers=h)  # default: production
    assert back.status_code == 200 and back.json()["version_number"] == 1 and back.json()["strategy"] == "rollback"
    again = await api.post(f"{API}/agents/{agent}/rollback", headers=h)
    assert again.status_code == 409  # never "back" to the version we just left
    history = (await api.get(f"{API}/agents/{agent}/deployments", headers=h)).json()["data"]
    assert history[0]["kind"] == "deployment.rolled_back" and history[0]["from_version"] == 2
    assert history[1]["kind"] == "rollout.rolled_back" and history[1]["reason"] == "odd answers"
