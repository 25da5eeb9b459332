"""Chat end to end on the offline ``local`` provider: grounded answers, sticky versions, context,
PII kept from the provider and the stored events, handoff, streaming, 4xx on bad input, health."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import orjson
import pytest

from core import cache
from tests.api_client import bearer
from tests.chat_setup import API, add_version, bus_events, hotel_agent, ship
from tests.factories import create_key, create_tenant
from va_app.domain.conversations import llm as chat_llm
from va_app.domain.llm.contracts import LLMRequest, LLMResult, StreamChunk
from va_app.domain.llm.router import get_router

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


class Recording:
    """The platform router, with every request it was handed kept for inspection."""

    def __init__(self) -> None:
        self.inner = get_router()
        self.requests: list[LLMRequest] = []

    async def complete(self, request: LLMRequest) -> LLMResult:
        self.requests.append(request)
        return await self.inner.complete(request)

    async def stream(self, request: LLMRequest) -> AsyncIterator[StreamChunk]:
        self.requests.append(request)
        async for chunk in self.inner.stream(request):
            yield chunk

    def seen_text(self) -> str:
        return "\n".join(
            [m.content for r in self.requests for m in r.messages] + [k for r in self.requests for k in r.knowledge]
        )


@pytest.fixture
def recorder() -> Iterator[Recording]:
    rec = Recording()
    chat_llm.use_router(rec)
    yield rec
    chat_llm.use_router(None)


async def _chat(api: httpx.AsyncClient, h: dict, slug: str, message: str, **fields: object) -> dict:
    resp = await api.post(f"{API}/agents/{slug}/chat", json={"message": message, **fields}, headers=h)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_answers_from_the_uploaded_knowledge_base_with_no_provider_keys(api: httpx.AsyncClient) -> None:
    hotel = await hotel_agent(api)
    first = await _chat(api, hotel.headers, hotel.slug, "What time is check-in?", user_id="guest-1")
    assert first["outcome"] == "answered" and first["cached"] == "none"
    assert "15:00" in first["reply"]
    assert first["model"] == "local" and first["provider"] == "local" and first["version"] == 2
    assert first["usage"]["prompt_tokens"] > 0 and first["usage"]["completion_tokens"] > 0
    assert first["cost_usd"] == 0 and first["latency_ms"] > 0
    assert first["intent"] == "check_in_time"
    assert first["sources"] and first["sources"][0]["document"] == "faq.csv"
    conv = first["conversation_id"]
    second = await _chat(api, hotel.headers, hotel.slug, "Do you have parking for my car?", conversation_id=conv)
    assert second["conversation_id"] == conv and "35 EUR" in second["reply"]
    stored = await cache.get_redis().get(f"va:conv:{hotel.tenant.tenant_id}:{hotel.agent_id}:production:{conv}")
    turns = orjson.loads(stored)["turns"]
    assert [t["role"] for t in turns] == ["user", "assistant", "user", "assistant"]
    logs = [
        e
        for e in await bus_events("conversation.logs", hotel.tenant.tenant_id)
        if e["payload"]["conversation_id"] == conv
    ]
    assert len(logs) == 2
    payload = logs[0]["payload"]
    assert payload["agent_id"] == hotel.agent_id and payload["version"] == 2 and payload["end_user_id"] == "guest-1"
    assert payload["model"] == "local" and payload["outcome"] == "answered" and payload["intent"] == "check_in_time"
    assert payload["key_id"] and payload["prompt_tokens"] > 0


async def test_a_conversation_keeps_its_version_across_a_deploy(api: httpx.AsyncClient) -> None:
    hotel = await hotel_agent(api)
    first = await _chat(api, hotel.headers, hotel.slug, "Are pets allowed?")
    assert first["version"] == 2
    v3 = await add_version(api, hotel.headers, hotel.slug, system_prompt="You are the new concierge.")
    await ship(api, hotel.headers, hotel.slug, v3)
    same = await _chat(
        api, hotel.headers, hotel.slug, "Is breakfast included?", conversation_id=first["conversation_id"]
    )
    assert same["version"] == 2
    fresh = await _chat(api, hotel.headers, hotel.slug, "Is breakfast included?")
    assert fresh["version"] == v3


async def test_pii_never_reaches_the_provider_nor_the_stored_events(
    api: httpx.AsyncClient, recorder: Recording
) -> None:
    hotel = await hotel_agent(api)
    message = (
        "Hi, I'm jane.doe@example.com, card 4111 1111 1111 1111, phone +44 20 7946 0958, SSN 219-09-9999. "
        "What time is check-in?"
    )
    body = await _chat(api, hotel.headers, hotel.slug, message)
    # the offline model finds the masked placeholders outweigh the question: it says it does not
    # know, which the runtime now records honestly (the turn still went through the model)
    assert body["model"] == "local" and body["outcome"] in ("answered", "unanswered")
    seen = recorder.seen_text()
    assert recorder.requests and "What time is check-in?" in seen
    for secret in ("jane.doe@example.com", "4111 1111", "7946", "219-09-9999"):
        assert secret not in seen
    assert "[EMAIL]" in seen and "[CARD]" in seen
    logs = await bus_events("conversation.logs", hotel.tenant.tenant_id)
    raw = orjson.dumps(logs).decode()
    for secret in ("jane.doe@example.com", "4111 1111", "7946", "219-09-9999"):
        assert secret not in raw
    assert "[CARD]" in raw
    conv = body["conversation_id"]
    context = await cache.get_redis().get(f"va:conv:{hotel.tenant.tenant_id}:{hotel.agent_id}:production:{conv}")
    assert b"4111" not in context and b"jane.doe" not in context
    # a message with PII is never cached: the same message again is answered afresh
    again = await _chat(api, hotel.headers, hotel.slug, message)
    assert again["cached"] == "none"


async def test_asking_for_a_person_hands_off_and_requests_a_ticket(api: httpx.AsyncClient, recorder: Recording) -> None:
    hotel = await hotel_agent(api)
    first = await _chat(api, hotel.headers, hotel.slug, "Is there a swimming pool?", user_id="guest-9")
    calls = len(recorder.requests)
    body = await _chat(
        api,
        hotel.headers,
        hotel.slug,
        "I want to talk to a person, my email is g@x.org",
        conversation_id=first["conversation_id"],
    )
    assert body["outcome"] == "handoff"
    assert body["handoff"] == {"reason": "user_request", "target_queue": "front-desk"}
    assert "front desk" in body["reply"]
    assert len(recorder.requests) == calls  # no model call for a handoff
    handoffs = [
        e
        for e in await bus_events("agent.events", hotel.tenant.tenant_id)
        if e["payload"]["kind"] == "handoff.requested"
    ]
    assert len(handoffs) == 1
    details = handoffs[0]["payload"]["details"]
    assert details["conversation_id"] == first["conversation_id"] and details["target_queue"] == "front-desk"
    assert [t["role"] for t in details["transcript"]] == ["user", "assistant", "user"]
    assert "g@x.org" not in orjson.dumps(details).decode() and "[EMAIL]" in details["transcript"][-1]["content"]
    logs = await bus_events("conversation.logs", hotel.tenant.tenant_id)
    assert [e["payload"]["outcome"] for e in logs][-1] == "handoff"
    served = logs[-1]["payload"]  # both events say where the conversation was served
    assert served["environment"] == handoffs[0]["payload"]["environment"] == "production"
    assert served["deployment_id"] and details["deployment_id"] == served["deployment_id"]


async def test_version_rules_block_topics_and_low_confidence_hands_off(api: httpx.AsyncClient) -> None:
    hotel = await hotel_agent(api)
    blocked = await _chat(api, hotel.headers, hotel.slug, "Who should I vote for in the election?")
    assert blocked["outcome"] == "blocked" and "politics" in blocked["reply"]
    keyword = await _chat(api, hotel.headers, hotel.slug, "I need the manager right now")
    assert keyword["outcome"] == "handoff" and keyword["handoff"]["reason"] == "keyword"
    conv = None
    outcomes = []
    for question in ("What is the capital of Mongolia?", "Which football team won the 1974 cup final?"):
        body = await _chat(api, hotel.headers, hotel.slug, question, **({"conversation_id": conv} if conv else {}))
        conv = body["conversation_id"]
        outcomes.append(body["outcome"])
    assert outcomes == ["unanswered", "handoff"]  # the local model does not know; max_failed_turns = 2


async def test_streaming_chat_sends_deltas_then_the_full_answer(api: httpx.AsyncClient) -> None:
    hotel = await hotel_agent(api)
    async with api.stream(
        "POST",
        f"{API}/agents/{hotel.slug}/chat",
        json={"message": "What time is check-out?", "stream": True},
        headers=hotel.headers,
    ) as resp:
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
        text = (await resp.aread()).decode()
    frames = [f for f in text.split("\n\n") if f.strip()]
    names = [f.split("\n")[0].removeprefix("event: ") for f in frames]
    assert names[0] == "start" and names[-1] == "done" and names.count("delta") >= 2
    deltas = "".join(orjson.loads(f.split("data: ", 1)[1])["delta"] for f in frames if f.startswith("event: delta"))
    done = orjson.loads(frames[-1].split("data: ", 1)[1])
    assert done["reply"] == deltas and "11:00" in deltas and done["outcome"] == "answered"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"message": ""}, 422),
        ({"message": "x" * 9000}, 422),
        ({}, 422),
        ({"message": "hi", "environment": "moon"}, 422),
        ({"message": "hi", "conversation_id": "bad id with spaces"}, 422),
        ({"message": "hi", "unknown": 1}, 422),
        ({"message": "hi", "channel": "pigeon"}, 422),
    ],
)
async def test_bad_input_is_4xx_json(api: httpx.AsyncClient, body: dict, status: int) -> None:
    tenant = await create_tenant()
    resp = await api.post(f"{API}/agents/whatever/chat", json=body, headers=bearer(tenant.owner_key))
    assert resp.status_code == status and resp.json()["error"]["code"]


async def test_unknown_agent_nothing_deployed_and_other_tenants_are_404(api: httpx.AsyncClient) -> None:
    hotel = await hotel_agent(api)
    other = await create_tenant()
    for slug, h in ((f"nope-{uuid.uuid4().hex[:4]}", hotel.headers), (hotel.slug, bearer(other.owner_key))):
        resp = await api.post(f"{API}/agents/{slug}/chat", json={"message": "hi", "stream": True}, headers=h)
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
    staging_only = await api.post(
        f"{API}/agents/{hotel.slug}/chat", json={"message": "hi", "environment": "development"}, headers=hotel.headers
    )
    assert staging_only.status_code == 200  # shipped through development too
    restricted = await create_key(hotel.tenant, "viewer", allowed_agents=["someone-else"])
    hidden = await api.post(f"{API}/agents/{hotel.slug}/chat", json={"message": "hi"}, headers=bearer(restricted))
    assert hidden.status_code == 404
    viewer = await create_key(hotel.tenant, "viewer")
    allowed = await api.post(
        f"{API}/agents/{hotel.slug}/chat", json={"message": "Are pets allowed?"}, headers=bearer(viewer)
    )
    assert allowed.status_code == 200 and "10 kg" in allowed.json()["reply"]


async def test_router_failure_is_a_503_and_an_error_event(api: httpx.AsyncClient) -> None:
    hotel = await hotel_agent(api)

    class Broken:
        async def complete(self, request: LLMRequest) -> LLMResult:
            raise RuntimeError("provider exploded")

        async def stream(self, request: LLMRequest) -> AsyncIterator[StreamChunk]:
            raise RuntimeError("provider exploded")
            yield  # pragma: no cover

    chat_llm.use_router(Broken())
    try:
        resp = await api.post(
            f"{API}/agents/{hotel.slug}/chat", json={"message": "Any spa treatments?"}, headers=hotel.headers
        )
    finally:
        chat_llm.use_router(None)
    assert resp.status_code == 503 and "exploded" not in resp.text
    logs = await bus_events("conversation.logs", hotel.tenant.tenant_id)
    assert logs[-1]["payload"]["outcome"] == "error"


async def test_health_runs_a_real_synthetic_conversation(api: httpx.AsyncClient) -> None:
    hotel = await hotel_agent(api)
    before = len(await bus_events("conversation.logs", hotel.tenant.tenant_id))
    health = (await api.get(f"{API}/agents/{hotel.slug}/health", headers=hotel.headers)).json()
    checks = {c["name"]: c for c in health["checks"]}
    assert checks["synthetic_conversation"]["ok"] is True, checks["synthetic_conversation"]
    assert "v2 answered via local" in checks["synthetic_conversation"]["detail"]
    assert len(await bus_events("conversation.logs", hotel.tenant.tenant_id)) == before  # probes are not traffic
