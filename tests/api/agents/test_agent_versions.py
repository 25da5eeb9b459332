"""Agent versions through the API: numbered, paged, immutable, diffable; bad content is a 4xx."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.api.agents.steps import API, new_agent, new_version
from tests.api_client import bearer
from tests.factories import create_tenant

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]


async def test_versions_are_numbered_immutable_and_diffable(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    h = bearer(tenant.owner_key)
    agent = await new_agent(api, h)
    v1 = await new_version(api, h, agent, system_prompt="Be brief.\nUse the knowledge base.", temperature=0.2)
    v2 = await new_version(
        api,
        h,
        agent,
        system_prompt="Be brief.\nUse the knowledge base.\nNever guess prices.",
        model_policy={"quality_tier": "premium", "allowed_models": ["gpt-4o"], "max_cost_per_conversation_usd": 0.1},
        guardrails={"blocked_topics": ["politics"], "pii_masking": True},
        change_note="no price guessing",
    )
    assert (v1, v2) == (1, 2)
    listed = (await api.get(f"{API}/agents/{agent}/versions", params={"limit": 1}, headers=h)).json()
    assert listed["data"][0]["number"] == 2 and listed["next_cursor"] == "2"
    page2 = (await api.get(f"{API}/agents/{agent}/versions", params={"cursor": "2"}, headers=h)).json()
    assert [v["number"] for v in page2["data"]] == [1]
    one = (await api.get(f"{API}/agents/{agent}/versions/1", headers=h)).json()
    assert one["system_prompt"].startswith("Be brief") and one["model_policy"]["quality_tier"] == "standard"

    for method in ("PUT", "PATCH", "DELETE"):
        edit = await api.request(
            method, f"{API}/agents/{agent}/versions/1", json={"system_prompt": "hacked"}, headers=h
        )
        assert edit.status_code in (404, 405) and "error" in edit.json()
    assert (await api.get(f"{API}/agents/{agent}/versions/1", headers=h)).json()["system_prompt"] == one[
        "system_prompt"
    ]

    diff = (await api.get(f"{API}/agents/{agent}/versions/2/diff", headers=h)).json()
    fields = {c["field"]: c for c in diff["changes"]}
    assert set(fields) == {"system_prompt", "model_policy", "guardrails", "change_note"}
    assert "+Never guess prices." in fields["system_prompt"]["unified_diff"]
    assert (await api.get(f"{API}/agents/{agent}/versions/9", headers=h)).status_code == 404

    bad_policy = await api.post(
        f"{API}/agents/{agent}/versions", json={"model_policy": {"quality_tier": "ultra"}}, headers=h
    )
    assert bad_policy.status_code == 422 and bad_policy.json()["error"]["code"] == "validation_error"
    bad_kb = await api.post(
        f"{API}/agents/{agent}/versions", json={"knowledge_base_ids": [str(uuid.uuid4())]}, headers=h
    )
    assert bad_kb.status_code == 400 and "knowledge bases not found" in bad_kb.json()["error"]["message"]
