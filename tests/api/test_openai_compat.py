"""The OpenAI-compatible API through the official ``openai`` SDK (its own parsing, its own SSE)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import openai
import pytest

from tests.api_client import bearer
from tests.chat_setup import API, hotel_agent
from tests.factories import create_key
from va_app.api.app import build_api, with_request_context

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=with_request_context(build_api()), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def sdk(http: httpx.AsyncClient, key: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url="http://test/api/v1", api_key=key, http_client=http, max_retries=0)


async def test_sdk_non_streaming_and_models(api: httpx.AsyncClient, http: httpx.AsyncClient) -> None:
    hotel = await hotel_agent(api)
    client = sdk(http, hotel.tenant.owner_key)
    models = [m.id async for m in client.models.list()]
    assert hotel.slug in models and "local" in models  # the owner may call raw catalog models
    done = await client.chat.completions.create(
        model=hotel.slug, messages=[{"role": "user", "content": "What time is check-in?"}], user="guest-7"
    )
    assert done.object == "chat.completion" and done.model == hotel.slug
    assert "15:00" in (done.choices[0].message.content or "") and done.choices[0].finish_reason == "stop"
    assert done.usage is not None and done.usage.prompt_tokens > 0 and done.usage.completion_tokens > 0
    extra = done.model_extra["virtualagent"]
    assert extra["version"] == 2 and extra["cached"] == "none" and extra["outcome"] == "answered"
    again = await client.chat.completions.create(
        model=hotel.slug, messages=[{"role": "user", "content": "What time is check-in?"}]
    )
    assert again.model_extra["virtualagent"]["cached"] == "exact"
    # the history is the context: a follow-up keeps the conversation (and its pinned version)
    follow = await client.chat.completions.create(
        model=hotel.slug,
        messages=[
            {"role": "system", "content": "ignored: the agent's own prompt governs"},
            {"role": "user", "content": "What time is check-in?"},
            {"role": "assistant", "content": done.choices[0].message.content or ""},
            {"role": "user", "content": [{"type": "text", "text": "Do you have parking?"}]},
        ],
        user="guest-7",
    )
    assert "35 EUR" in (follow.choices[0].message.content or "")
    assert follow.model_extra["virtualagent"]["conversation_id"] == extra["conversation_id"]


async def test_sdk_streaming_with_usage(api: httpx.AsyncClient, http: httpx.AsyncClient) -> None:
    hotel = await hotel_agent(api)
    client = sdk(http, hotel.tenant.owner_key)
    stream = await client.chat.completions.create(
        model=hotel.slug,
        messages=[{"role": "user", "content": "What time is check-out?"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [c async for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "11:00" in text
    assert chunks[0].choices[0].delta.role == "assistant"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    plain = await client.chat.completions.create(
        model=hotel.slug, messages=[{"role": "user", "content": "Are pets allowed?"}], stream=True
    )
    plain_chunks = [c async for c in plain]
    assert all(c.usage is None for c in plain_chunks)
    assert "10 kg" in "".join(c.choices[0].delta.content or "" for c in plain_chunks if c.choices)


async def test_sdk_raw_model_needs_the_permission(api: httpx.AsyncClient, http: httpx.AsyncClient) -> None:
    hotel = await hotel_agent(api)
    owner = sdk(http, hotel.tenant.owner_key)
    raw = await owner.chat.completions.create(model="local", messages=[{"role": "user", "content": "hello"}])
    assert raw.choices[0].message.content and raw.model == "local"
    streamed = await owner.chat.completions.create(
        model="local",
        messages=[{"role": "user", "content": "hello there"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    raw_chunks = [c async for c in streamed]
    assert raw_chunks[-1].usage is not None
    developer = sdk(http, await create_key(hotel.tenant, "developer"))
    with pytest.raises(openai.NotFoundError):
        await developer.chat.completions.create(model="local", messages=[{"role": "user", "content": "hi"}])
    assert "local" not in [m.id async for m in developer.models.list()]
    ok = await developer.chat.completions.create(model=hotel.slug, messages=[{"role": "user", "content": "hi"}])
    assert ok.choices[0].message.content


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"messages": [{"role": "user", "content": "hi"}]}, 422),
        ({"model": "x", "messages": []}, 422),
        ({"model": "x", "messages": [{"role": "wizard", "content": "hi"}]}, 422),
        ({"model": "{slug}", "messages": [{"role": "assistant", "content": "hi"}]}, 400),
        ({"model": "{slug}", "messages": [{"role": "user", "content": "hi"}], "n": 2}, 422),
        ({"model": "{slug}", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, 400),
        ({"model": "{slug}", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function"}]}, 400),
        ({"model": "no-such-agent", "messages": [{"role": "user", "content": "hi"}]}, 400),
    ],
)
async def test_bad_requests_are_4xx_json(api: httpx.AsyncClient, body: dict, status: int) -> None:
    hotel = await hotel_agent(api)
    if body.get("model") == "{slug}":
        body = {**body, "model": hotel.slug}
    resp = await api.post(f"{API}/chat/completions", json=body, headers=hotel.headers)
    assert resp.status_code == status, resp.text
    assert resp.json()["error"]["message"]


async def test_unknown_model_is_404_for_keys_without_raw_access(api: httpx.AsyncClient) -> None:
    hotel = await hotel_agent(api)
    viewer = await create_key(hotel.tenant, "viewer")
    resp = await api.post(
        f"{API}/chat/completions",
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
        headers=bearer(viewer),
    )
    assert resp.status_code == 404 and "GET /api/v1/models" in resp.json()["error"]["message"]
