"""A version's max cost per conversation: once spent, the conversation goes to a person."""

from __future__ import annotations

import httpx
import pytest

from core import cache
from tests.api_client import bearer
from tests.chat_setup import API, add_version, hotel_agent, ship
from va_app.domain.conversations import context

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


async def test_conversation_over_its_cost_limit_is_handed_over(api: httpx.AsyncClient) -> None:
    hotel = await hotel_agent(api)
    h = bearer(hotel.tenant.owner_key)
    latest = (await api.get(f"{API}/agents/{hotel.slug}/versions", headers=h)).json()["data"][0]
    policy = {**latest["model_policy"], "max_cost_per_conversation_usd": 0.01}
    version = await add_version(api, h, hotel.slug, model_policy=policy)
    await ship(api, h, hotel.slug, version)

    first = await api.post(f"{API}/agents/{hotel.slug}/chat", json={"message": "What time is breakfast?"}, headers=h)
    assert first.status_code == 200, first.text
    assert first.json()["outcome"] == "answered"
    conversation_id = first.json()["conversation_id"]

    # Pretend the conversation has already spent its budget (the offline provider is free).
    state = await context.load(hotel.tenant.tenant_id, hotel.agent_id, "production", conversation_id)
    state.cost_usd = 0.0125
    key = context._key(hotel.tenant.tenant_id, hotel.agent_id, "production", conversation_id)
    await cache.get_redis().set(key, state.to_json(), ex=3600)

    second = await api.post(
        f"{API}/agents/{hotel.slug}/chat",
        json={"message": "And is there a pool?", "conversation_id": conversation_id},
        headers=h,
    )
    assert second.status_code == 200, second.text
    assert second.json()["outcome"] == "handoff"
    assert second.json()["handoff"]["reason"] == "conversation_cost_limit"


def test_spent_cost_survives_the_context_round_trip() -> None:
    state = context.ConversationState(cost_usd=0.42)
    assert context.ConversationState.from_json(state.to_json()).cost_usd == pytest.approx(0.42)
