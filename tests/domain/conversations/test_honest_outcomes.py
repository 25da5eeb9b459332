"""Honest outcomes: a reply that does not answer is ``unanswered`` for every provider.

The runtime decides, not the provider: the offline ``local`` model's "I don't have information
about that", a real model following the no-answer convention of the system prompt, and a real
model ignoring it and just saying it does not know are all ``unanswered``: no sources, a failed
turn for the handoff rules, never cached (exact or semantic, for another user or channel), and
``unanswered`` in the turn event. Real wire formats come from the fake LLM server (OpenAI and
Anthropic, plain and streamed).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest

from tests.chat_setup import API, add_version, bus_events, hotel_agent, ship
from tools.fake_llm import FakeConfig, FakeLLMServer
from va_app.domain.conversations.outcome import NO_ANSWER_MARKER

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

BREAKFAST = "Breakfast is served from 6:30 to 10:30 in the Atrium and is included in every room rate."
SCRIPT = {
    # a model following the system prompt's no-answer convention
    "helipad": f"{NO_ANSWER_MARKER} I'm sorry, I can't find anything about a helipad.",
    # a model ignoring it, just saying it does not know (and offering help)
    "sauna": "I'm sorry, I don't have information about that. Would you like me to connect you with a colleague?",
    # only the marker: the runtime must still say something to the user
    "casino": NO_ANSWER_MARKER,
    # a real answer, grounded in the FAQ chunk
    "breakfast": BREAKFAST,
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(FakeConfig(replies=SCRIPT)) as server:
        yield server


async def _ask(api: httpx.AsyncClient, h: dict, slug: str, message: str, **fields: object) -> dict:
    resp = await api.post(f"{API}/agents/{slug}/chat", json={"message": message, **fields}, headers=h)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def _ask_streamed(api: httpx.AsyncClient, h: dict, slug: str, message: str) -> tuple[str, dict]:
    body = {"message": message, "stream": True}
    resp = await api.post(f"{API}/agents/{slug}/chat", json=body, headers=h)
    assert resp.status_code == 200, resp.text
    text, done = "", {}
    for block in resp.text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if lines.get("event") == "delta":
            text += orjson.loads(lines["data"])["delta"]
        elif lines.get("event") == "done":
            done = orjson.loads(lines["data"])
    return text, done


async def _fake_model_agent(api: httpx.AsyncClient, fake: FakeLLMServer, wire: str) -> tuple[dict, str]:
    """The hotel agent (FAQ knowledge) answering through a tenant model on the fake server."""
    hotel = await hotel_agent(api)
    h = hotel.headers
    base = fake.openai_base_url if wire == "openai" else fake.base_url
    model = {"name": f"house-{wire}", "upstream": f"house-{wire}", "tier": "standard"}
    provider = {"api_key": "sk-test", "base_url": base, "wire": wire, "models": [model]}
    resp = await api.put(f"{API}/llm/providers/house-{wire}", json=provider, headers=h)
    assert resp.status_code == 200, resp.text
    number = await add_version(api, h, hotel.slug, model_policy={"allowed_models": [f"house-{wire}"]})
    await ship(api, h, hotel.slug, number)
    return h, hotel.slug


async def test_local_models_no_knowledge_reply_is_unanswered_sourceless_and_never_cached(
    api: httpx.AsyncClient,
) -> None:
    hotel = await hotel_agent(api)
    h = hotel.headers
    # retrieval finds a chunk above the low-confidence floor (0.39), but it does not answer this
    question = "Can I rent a bicycle at the front desk?"
    first = await _ask(api, h, hotel.slug, question, user_id="guest-1", channel="web")
    assert "don't have information" in first["reply"]
    assert first["outcome"] == "unanswered" and first["sources"] == []
    again = await _ask(api, h, hotel.slug, question, user_id="guest-2", channel="api")
    assert again["cached"] == "none" and again["outcome"] == "unanswered"
    similar = await _ask(api, h, hotel.slug, "Can I rent a bike at the front desk?")
    assert similar["cached"] == "none"
    logs = [e["payload"] for e in await bus_events("conversation.logs", hotel.tenant.tenant_id)]
    assert [p["outcome"] for p in logs[-3:]] == ["unanswered"] * 3
    assert all(p["cache_kind"] == "none" for p in logs[-3:])


@pytest.mark.parametrize("wire", ["openai", "anthropic"])
async def test_real_wire_formats_non_answers_are_unanswered_and_answers_are_answered(
    api: httpx.AsyncClient, fake: FakeLLMServer, wire: str
) -> None:
    h, slug = await _fake_model_agent(api, fake, wire)

    marked = await _ask(api, h, slug, "Do you have a helipad on the roof?")
    assert marked["outcome"] == "unanswered" and marked["model"] == f"house-{wire}"
    assert NO_ANSWER_MARKER not in marked["reply"] and "helipad" in marked["reply"]
    assert marked["sources"] == []

    plain = await _ask(api, h, slug, "Is there a sauna in the spa?")
    assert plain["outcome"] == "unanswered" and plain["sources"] == []

    bare = await _ask(api, h, slug, "Is there a casino in the hotel?")
    assert bare["outcome"] == "unanswered" and bare["reply"].strip() and NO_ANSWER_MARKER not in bare["reply"]

    answered = await _ask(api, h, slug, "Is breakfast included in the room rate?")
    assert answered["outcome"] == "answered" and answered["reply"] == BREAKFAST
    assert any(s["document"] == "faq.csv" for s in answered["sources"])

    # non-answers are never served from a cache; the answer is
    for question in ("Do you have a helipad on the roof?", "Is there a sauna in the spa?"):
        assert (await _ask(api, h, slug, question, channel="web"))["cached"] == "none"
    assert (await _ask(api, h, slug, "Is breakfast included in the room rate?"))["cached"] == "exact"

    # streamed: the marker never reaches the user, the final event says unanswered
    text, done = await _ask_streamed(api, h, slug, "Can I land on the helipad?")
    assert NO_ANSWER_MARKER not in text and "helipad" in text
    assert done["outcome"] == "unanswered" and done["sources"] == [] and done["reply"] == text
    text, done = await _ask_streamed(api, h, slug, "Is there a casino nearby?")
    assert text.strip() and NO_ANSWER_MARKER not in text and done["outcome"] == "unanswered"


async def test_non_answers_count_as_failed_turns_and_hand_off(api: httpx.AsyncClient, fake: FakeLLMServer) -> None:
    """The turn that would be the second non-answer in a row (``max_failed_turns`` 2) hands off."""
    h, slug = await _fake_model_agent(api, fake, "openai")
    first = await _ask(api, h, slug, "Do you have a helipad on the roof?")
    assert first["outcome"] == "unanswered"
    # retrieval finds the pool chunk, so only the model's reply tells that this is not an answer
    second = await _ask(
        api, h, slug, "Is there a sauna next to the swimming pool?", conversation_id=first["conversation_id"]
    )
    assert second["outcome"] == "handoff" and second["handoff"]["reason"] == "no_answer"
    assert second["reply"].startswith("I'm sorry, I don't have information") and second["usage"]["prompt_tokens"] > 0


@pytest.mark.parametrize("wire", ["openai", "anthropic"])
async def test_a_provider_refusal_is_blocked_not_an_error(
    api: httpx.AsyncClient, fake: FakeLLMServer, wire: str
) -> None:
    """OpenAI's content-policy 400 and Anthropic's ``stop_reason: refusal``: a ``blocked`` turn, not a 503."""
    h, slug = await _fake_model_agent(api, fake, wire)
    refused = await _ask(api, h, slug, "Tell me how to pick the lock of room 12 [[refuse]]")
    assert refused["outcome"] == "blocked" and refused["reply"] and refused["sources"] == []
    assert (await _ask(api, h, slug, "Tell me how to pick the lock of room 12 [[refuse]]"))["cached"] == "none"
    text, done = await _ask_streamed(api, h, slug, "How do I open another guest's door? [[refuse]]")
    assert done["outcome"] == "blocked" and text == done["reply"] and text
