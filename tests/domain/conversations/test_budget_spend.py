"""A hard agent budget can be spent: through the real chat path it admits at least 90 % of its
limit in real spend, one turn at a time and under 200 concurrent turns, and never overshoots.

The tenant reaches OpenAI's models through the fake provider (OpenAI wire format), so the
router sees the real catalog: a standard-tier agent can fall back from gpt-4o-mini to gpt-4o,
which costs ~16x more. Reserving the most expensive candidate's worst case for every turn made
a budget refuse turns at about half its limit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator

import httpx
import pytest

from core.cache import get_redis
from core.config import get_settings
from tests.chat_setup import API, HotelAgent, hotel_agent
from tools.fake_llm import FakeLLMServer
from va_app.domain.llm import tenant_config
from va_app.domain.llm.ledger import NANO, budget_prefix, period_ids

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
COMPLETION_TOKENS = 40  # a typical short answer; the output cap (512) is far above it


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        httpx.post(f"{server.base_url}/_admin/config", json={"completion_tokens": COMPLETION_TOKENS, "latency_ms": 20})
        yield server


@pytest.fixture(autouse=True)
def _no_answer_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every turn calls the model: a cached answer costs nothing and would spend no budget."""
    monkeypatch.setattr(get_settings().chat, "cache_enabled", False)


async def _priced_hotel(api: httpx.AsyncClient, fake: FakeLLMServer) -> HotelAgent:
    hotel = await hotel_agent(api)
    resp = await api.put(
        f"{API}/llm/providers/openai",
        json={"api_key": "sk-test-budget", "base_url": fake.openai_base_url},
        headers=hotel.headers,
    )
    assert resp.status_code == 200, resp.text
    tenant_config.invalidate()
    return hotel


async def _turn(api: httpx.AsyncClient, hotel: HotelAgent, n: int) -> httpx.Response:
    # every question differs, so no answer comes from the cache (a cached answer costs nothing)
    question = f"Guest {n} ({uuid.uuid4().hex[:8]}): what time is breakfast served?"
    return await api.post(f"{API}/agents/{hotel.slug}/chat", json={"message": question}, headers=hotel.headers)


async def _one_turn_cost(api: httpx.AsyncClient, hotel: HotelAgent) -> float:
    resp = await _turn(api, hotel, 0)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["model"] == "gpt-4o-mini" and body["cost_usd"] > 0, body
    return float(body["cost_usd"])


async def _hard_agent_budget(api: httpx.AsyncClient, hotel: HotelAgent, limit_usd: float) -> str:
    resp = await api.post(
        f"{API}/budgets",
        json={"scope": "agent", "scope_id": hotel.agent_id, "period": "daily", "limit_usd": limit_usd, "hard": True},
        headers=hotel.headers,
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


async def _ledger(hotel: HotelAgent, budget_id: str) -> tuple[float, float]:
    day, _ = period_ids(dt.datetime.now(dt.UTC))
    base = f"{budget_prefix(str(hotel.tenant.tenant_id))}{budget_id}:{day}"
    settled, reserved = await get_redis().hmget(base, "settled", "reserved")
    return int(settled or 0) / NANO, int(reserved or 0) / NANO


async def test_sequential_turns_spend_at_least_90_percent_of_a_small_hard_budget(
    api: httpx.AsyncClient, fake: FakeLLMServer
) -> None:
    hotel = await _priced_hotel(api, fake)
    cost = await _one_turn_cost(api, hotel)
    limit = round(50 * cost, 9)  # a small budget: about 50 turns (the cost bound of one is ~4 turns)
    budget_id = await _hard_agent_budget(api, hotel, limit)
    spent = 0.0
    for n in range(1, 100):
        resp = await _turn(api, hotel, n)
        if resp.status_code == 429:
            assert resp.json()["error"]["code"] == "budget_exceeded"
            break
        assert resp.status_code == 200, resp.text
        spent += resp.json()["cost_usd"]
    else:
        pytest.fail("the budget never refused a turn")
    settled, reserved = await _ledger(hotel, budget_id)
    assert reserved == 0, "every reservation was settled or released at once"
    assert settled == pytest.approx(spent, abs=1e-8), "the ledger holds the real cost of every turn"
    assert settled <= limit, f"overshoot: {settled} > {limit}"
    assert settled >= 0.9 * limit, f"only {100 * settled / limit:.1f} % of the budget could be spent"


async def test_200_concurrent_turns_spend_at_least_90_percent_and_never_overshoot(
    api: httpx.AsyncClient, fake: FakeLLMServer
) -> None:
    hotel = await _priced_hotel(api, fake)
    cost = await _one_turn_cost(api, hotel)
    limit = round(120 * cost, 9)  # 200 turns are asked for; about 120 can be paid
    budget_id = await _hard_agent_budget(api, hotel, limit)

    responses = await asyncio.gather(*(_turn(api, hotel, n) for n in range(1, 201)))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 429}, [r.text for r in responses if r.status_code not in (200, 429)][:3]
    assert 429 in statuses, "the budget must refuse the turns it cannot pay for"
    spent = sum(r.json()["cost_usd"] for r in responses if r.status_code == 200)
    settled, reserved = await _ledger(hotel, budget_id)
    assert reserved == 0
    assert settled == pytest.approx(spent, abs=1e-8)
    assert settled <= limit, f"overshoot: {settled} > {limit}"
    assert settled >= 0.9 * limit, f"only {100 * settled / limit:.1f} % of the budget was admitted"
