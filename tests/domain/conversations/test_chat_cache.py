"""Answer caches through the API: exact and semantic hits, never across tenants or versions,
dropped when the agent is deployed again."""

from __future__ import annotations

import uuid

import httpx
import pytest

from core.embeddings import DEFAULT_MODEL
from tests.chat_setup import API, bus_events, hotel_agent
from va_app.domain.conversations import cache
from va_app.domain.knowledge.search import embed_query

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
SPA = "What time does the spa open?"


async def _ask(api: httpx.AsyncClient, h: dict, slug: str, message: str, **fields: object) -> dict:
    resp = await api.post(f"{API}/agents/{slug}/chat", json={"message": message, **fields}, headers=h)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_exact_then_semantic_hits_and_invalidation_on_deploy(api: httpx.AsyncClient) -> None:
    hotel = await hotel_agent(api)
    h = hotel.headers
    miss = await _ask(api, h, hotel.slug, "Is breakfast included in the room rate?")
    assert miss["cached"] == "none" and "6:30" in miss["reply"]
    exact = await _ask(api, h, hotel.slug, "is breakfast included in the room rate")
    assert exact["cached"] == "exact" and exact["reply"] == miss["reply"] and exact["cost_usd"] == 0
    assert exact["usage"]["prompt_tokens"] == 0 and exact["model"] == "local"
    semantic = await _ask(api, h, hotel.slug, "Is breakfast included in my room price?")
    assert semantic["cached"] == "semantic" and semantic["reply"] == miss["reply"]
    different = await _ask(api, h, hotel.slug, "Are dogs allowed in the rooms?")
    assert different["cached"] == "none" and "10 kg" in different["reply"]
    logs = [e["payload"] for e in await bus_events("conversation.logs", hotel.tenant.tenant_id)]
    assert [p["cache_kind"] for p in logs[-4:]] == ["none", "exact", "semantic", "none"]
    assert "saved_cost_usd" in logs[-2]["extra"] and logs[-2]["extra"]["similarity"] >= 0.8

    # deploying (even the same version again) drops every cached answer of the agent
    resp = await api.put(
        f"{API}/agents/{hotel.slug}/deploy", json={"version": 2, "environment": "production"}, headers=h
    )
    assert resp.status_code == 200, resp.text
    after = await _ask(api, h, hotel.slug, "Is breakfast included in the room rate?")
    assert after["cached"] == "none"
    assert (await _ask(api, h, hotel.slug, "Is breakfast included in my room price?"))["cached"] == "semantic"


async def test_caches_are_never_shared_across_tenants(api: httpx.AsyncClient) -> None:
    first = await hotel_agent(api, slug="same-slug")
    second = await hotel_agent(api, slug="same-slug")
    question = "What is the Wi-Fi password?"
    assert (await _ask(api, first.headers, "same-slug", question))["cached"] == "none"
    assert (await _ask(api, first.headers, "same-slug", question))["cached"] == "exact"
    assert (await _ask(api, second.headers, "same-slug", question))["cached"] == "none"
    assert (await _ask(api, second.headers, "same-slug", "What's the Wi-Fi password?"))["cached"] == "semantic"


async def test_follow_up_questions_use_the_conversation_not_another_conversations_answer(
    api: httpx.AsyncClient,
) -> None:
    hotel = await hotel_agent(api)
    h = hotel.headers
    one = await _ask(api, h, hotel.slug, "Do you have parking?")
    two = await _ask(api, h, hotel.slug, "Are pets allowed?")
    follow_one = await _ask(api, h, hotel.slug, "How much is it per night?", conversation_id=one["conversation_id"])
    follow_two = await _ask(api, h, hotel.slug, "How much is it per night?", conversation_id=two["conversation_id"])
    assert follow_one["cached"] == "none" and follow_two["cached"] == "none"


async def test_entries_of_one_version_or_tenant_are_invisible_to_another() -> None:
    """Directly on the cache: same question, other tenant/agent/version never hits."""
    pytest.importorskip("numpy")
    from tests.factories import create_agent, create_tenant

    tenant_a, tenant_b = await create_tenant(), await create_tenant()
    agent_a, agent_b = await create_agent(tenant_a), await create_agent(tenant_b)
    vector = await embed_query(SPA, DEFAULT_MODEL)
    entry = cache.CachedReply("The spa opens at 9.", "local", "local", "amenities", 0.001, 10, 5)
    await cache.put_semantic(
        tenant_a.tenant_id, agent_a, 1, DEFAULT_MODEL, vector, "What time does the spa open?", entry
    )
    key = cache.exact_key(tenant_a.tenant_id, agent_a, 1, "What time does the spa open?")
    await cache.put_exact(tenant_a.tenant_id, agent_a, key, entry)
    assert (await cache.get_semantic(tenant_a.tenant_id, agent_a, 1, DEFAULT_MODEL, vector, question=SPA)) is not None
    assert (await cache.get_exact(key)) == entry
    assert await cache.get_semantic(tenant_a.tenant_id, agent_a, 2, DEFAULT_MODEL, vector, question=SPA) is None
    assert await cache.get_semantic(tenant_b.tenant_id, agent_b, 1, DEFAULT_MODEL, vector, question=SPA) is None
    assert await cache.get_semantic(tenant_b.tenant_id, agent_a, 1, DEFAULT_MODEL, vector, question=SPA) is None
    assert (
        await cache.get_exact(cache.exact_key(tenant_a.tenant_id, agent_a, 2, "What time does the spa open?")) is None
    )
    assert (
        await cache.get_exact(cache.exact_key(tenant_b.tenant_id, agent_a, 1, "What time does the spa open?")) is None
    )
    await cache.invalidate_agent(tenant_a.tenant_id, uuid.UUID(agent_a))
    assert await cache.get_exact(key) is None
    assert await cache.get_semantic(tenant_a.tenant_id, agent_a, 1, DEFAULT_MODEL, vector, question=SPA) is None
