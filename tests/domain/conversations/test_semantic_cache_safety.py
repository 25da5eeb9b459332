"""Safe semantic cache: a semantic hit only when the new question means the same thing.

Numbers, dates, names and negations must match; an agent without knowledge gets no semantic
hits unless its version turns them on (``guardrails.semantic_cache: "on"``). The examples here
are the tests' own; the benchmark's held-out near-duplicates (benchmarks/cache_adversarial.py)
are not used for tuning.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.chat_setup import API, add_version, hotel_agent, ship
from tools.fake_llm import FakeLLMServer
from va_app.domain.conversations.cache_match import meaning_key

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:  # echoes the question: a wrong cached answer shows the wrong number
        yield server


async def _ask(api: httpx.AsyncClient, h: dict, slug: str, message: str) -> dict:
    resp = await api.post(f"{API}/agents/{slug}/chat", json={"message": message}, headers=h)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def _agent_without_knowledge(api: httpx.AsyncClient, fake: FakeLLMServer, **guardrails: object) -> tuple:
    hotel = await hotel_agent(api)
    h = hotel.headers
    model = {"name": "house-echo", "upstream": "house-echo", "tier": "standard"}
    provider = {"api_key": "sk-test", "base_url": fake.openai_base_url, "wire": "openai", "models": [model]}
    assert (await api.put(f"{API}/llm/providers/house", json=provider, headers=h)).status_code == 200
    number = await add_version(
        api,
        h,
        hotel.slug,
        knowledge_base_ids=[],
        model_policy={"allowed_models": ["house-echo"]},
        guardrails={"pii_masking": True, "blocked_topics": [], **guardrails},
        handoff_rules={"on_intents": [], "on_keywords": []},  # questions about tickets stay with the agent
    )
    await ship(api, h, hotel.slug, number)
    return h, hotel.slug


async def test_agent_without_knowledge_gets_no_semantic_hits_by_default(
    api: httpx.AsyncClient, fake: FakeLLMServer
) -> None:
    h, slug = await _agent_without_knowledge(api, fake)
    first = await _ask(api, h, slug, "Where can I find the ticket number 5512 of my booking?")
    assert first["cached"] == "none" and first["outcome"] == "answered"
    other = await _ask(api, h, slug, "Where can I find the ticket number 5513 of my booking?")
    assert other["cached"] == "none" and "5513" in other["reply"]
    paraphrase = await _ask(api, h, slug, "Where do I find the ticket number 5512 of my booking?")
    assert paraphrase["cached"] == "none"
    exact = await _ask(api, h, slug, "where can I find the ticket number 5512 of my booking")
    assert exact["cached"] == "exact"  # the exact cache is safe: same words, same answer


async def test_operator_can_turn_semantic_hits_on_and_entities_still_must_match(
    api: httpx.AsyncClient, fake: FakeLLMServer
) -> None:
    h, slug = await _agent_without_knowledge(api, fake, semantic_cache="on")
    await _ask(api, h, slug, "Where can I find the ticket number 5512 of my booking?")
    paraphrase = await _ask(api, h, slug, "Where do I find the ticket number 5512 of my booking?")
    assert paraphrase["cached"] == "semantic"
    other = await _ask(api, h, slug, "Where can I find the ticket number 5513 of my booking?")
    assert other["cached"] == "none" and "5513" in other["reply"]
    negated = await _ask(api, h, slug, "Why can't I find the ticket number 5512 of my booking?")
    assert negated["cached"] == "none"


async def test_grounded_agent_does_not_reuse_an_answer_across_numbers_or_negations(api: httpx.AsyncClient) -> None:
    hotel = await hotel_agent(api)
    h = hotel.headers
    first = await _ask(api, h, hotel.slug, "Is valet parking 35 EUR per night?")
    assert first["cached"] == "none" and "35 EUR" in first["reply"]
    assert (await _ask(api, h, hotel.slug, "Is valet parking 45 EUR per night?"))["cached"] == "none"
    assert (await _ask(api, h, hotel.slug, "Is valet parking not 35 EUR per night?"))["cached"] == "none"
    assert (await _ask(api, h, hotel.slug, "Does valet parking cost 35 EUR per night?"))["cached"] == "semantic"


async def test_semantic_cache_off_turns_off_grounded_hits(api: httpx.AsyncClient) -> None:
    hotel = await hotel_agent(api)
    h = hotel.headers
    latest = (await api.get(f"{API}/agents/{hotel.slug}/versions", headers=h)).json()["data"][0]
    number = await add_version(api, h, hotel.slug, guardrails={**latest["guardrails"], "semantic_cache": "off"})
    await ship(api, h, hotel.slug, number)
    await _ask(api, h, hotel.slug, "Is breakfast included in the room rate?")
    assert (await _ask(api, h, hotel.slug, "Is breakfast included in my room price?"))["cached"] == "none"


async def test_bad_semantic_cache_setting_is_a_4xx(api: httpx.AsyncClient) -> None:
    hotel = await hotel_agent(api)
    body = {"guardrails": {"semantic_cache": "sometimes"}, "change_note": "bad"}
    resp = await api.post(f"{API}/agents/{hotel.slug}/versions", json=body, headers=hotel.headers)
    assert resp.status_code in (400, 422) and "semantic_cache" in resp.text


@pytest.mark.parametrize(
    ("one", "two"),
    [
        ("How do I update the app?", "How can I update the app?"),
        ("What does the premium plan cost?", "How much does the premium plan cost?"),
        ("Is parking free for guests?", "Is parking free of charge for guests?"),
        ("When does the shop open on Saturday?", "What time does the shop open on Saturday?"),
    ],
)
def test_paraphrases_share_a_meaning_key(one: str, two: str) -> None:
    assert meaning_key(one) == meaning_key(two)


@pytest.mark.parametrize(
    ("one", "two"),
    [
        ("Where is order 1203?", "Where is order 1204?"),  # number
        ("Can I pay 20.50 now?", "Can I pay 20.05 now?"),  # decimal
        ("Is the office open on 3 May?", "Is the office open on 4 May?"),  # date
        ("Is the office open on Tuesday?", "Is the office open on Thursday?"),  # weekday
        ("Is the office open in April?", "Is the office open in October?"),  # month
        ("Does the sofa fit in a Golf?", "Does the sofa fit in a Polo?"),  # product name
        ("Can I use the voucher online?", "Can I not use the voucher online?"),  # negation
        ("Why does the voucher work online?", "Why doesn't the voucher work online?"),  # contraction
        ("Can I call Maria about the invoice?", "Can I call Jonas about the invoice?"),  # person
    ],
)
def test_different_entities_give_different_meaning_keys(one: str, two: str) -> None:
    assert meaning_key(one) != meaning_key(two)
