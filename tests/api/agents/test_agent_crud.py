"""Agents through the API: create, slug conflicts per tenant, update, list by brand, archive and restore."""

from __future__ import annotations

import httpx
import pytest

from tests.api.agents.steps import API, new_agent
from tests.api_client import bearer
from tests.factories import create_tenant

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]


async def test_crud_slug_conflict_and_archive(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    agent = await new_agent(api, h, "front-desk", brand="aurelia", channels=["web", "whatsapp"], description="Lobby")
    got = (await api.get(f"{API}/agents/front-desk", headers=h)).json()
    assert got["id"] == agent and got["brand"] == "aurelia" and got["latest_version"] is None
    assert set(got["environments"]) == {"development", "staging", "production"}

    dup = await api.post(f"{API}/agents", json={"slug": "front-desk", "name": "x"}, headers=h)
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "slug_taken"
    other_tenant = await create_tenant()
    assert await new_agent(api, bearer(other_tenant.owner_key), "front-desk")  # slugs are unique per tenant only

    patched = await api.patch(f"{API}/agents/{agent}", json={"name": "Front desk", "channels": ["sms"]}, headers=h)
    assert patched.status_code == 200 and patched.json()["channels"] == ["sms"]
    listed = (await api.get(f"{API}/agents", params={"brand": "aurelia"}, headers=h)).json()
    assert [a["id"] for a in listed["data"]] == [agent]

    archived = await api.delete(f"{API}/agents/{agent}", headers=h)
    assert archived.status_code == 200 and archived.json()["status"] == "archived"
    assert (await api.get(f"{API}/agents", headers=h)).json()["count"] == 0
    assert (await api.get(f"{API}/agents", params={"include_archived": True}, headers=h)).json()["count"] == 1
    blocked = await api.post(f"{API}/agents/{agent}/versions", json={"system_prompt": "x"}, headers=h)
    assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "agent_archived"
    assert (await api.get(f"{API}/agents/{agent}", headers=h)).status_code == 200  # kept, not deleted
    restored = await api.post(f"{API}/agents/{agent}/restore", headers=h)
    assert restored.json()["status"] == "active"
