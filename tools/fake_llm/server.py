"""The fake provider's ASGI app (Starlette): OpenAI and Anthropic wire formats."""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

TINY_CONTEXT = 64


@dataclass
class FakeConfig:
    latency_ms: float = 0.0
    error_rate: float = 0.0  # share of calls answered with HTTP 500
    rate_limit_rate: float = 0.0  # share of calls answered with HTTP 429
    context_window: int = 1_000_000
    prompt_tokens: int | None = None  # report this instead of the estimate
    completion_tokens: int | None = None  # answer with exactly this many tokens (words)
    seed: int | None = None
    # Scripted answers: when the last user message contains a key (case-insensitive), the reply
    # is its value instead of the echo, so a test can make the "model" answer, admit it does
    # not know, or follow the runtime's no-answer convention, on the real wire formats.
    replies: dict[str, str] = field(default_factory=dict)


@dataclass
class _State:
    config: FakeConfig
    rng: random.Random
    requests: Counter[str] = field(default_factory=Counter)
    flaky_seen: Counter[str] = field(default_factory=Counter)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json", headers=headers)


def _prompt_tokens(messages: list[dict[str, Any]], system: str = "") -> int:
    text_len = sum(len(str(m.get("content", ""))) // 4 + 1 for m in messages) + (len(system) // 4 if system else 0)
    return text_len + 4 * len(messages)


def _reply(model: str, messages: list[dict[str, Any]], max_tokens: int, config: FakeConfig) -> list[str]:
    last = next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")
    scripted = next((v for k, v in config.replies.items() if k.casefold() in last.casefold()), None)
    words = scripted.split(" ") if scripted is not None else ["Fake", "answer", "from", f"{model}:", *last.split()]
    if config.completion_tokens is not None:
        words = (words * (config.completion_tokens // max(len(words), 1) + 1))[: config.completion_tokens]
    return words[: max(1, max_tokens)]


def _failure(state: _State, model: str, messages: list[dict[str, Any]], prompt: int) -> str | None:
    """Which failure this call gets, if any: 500, 429, 503, context, refuse."""
    state.requests[model] += 1
    if "always-500" in model or state.rng.random() < state.config.error_rate:
        return "500"
    if "always-429" in model or state.rng.random() < state.config.rate_limit_rate:
        return "429"
    flaky = re.search(r"flaky-(\d+)", model)
    if flaky and state.flaky_seen[model] < int(flaky.group(1)):
        state.flaky_seen[model] += 1
        return "503"
    window = TINY_CONTEXT if "tiny-ctx" in model else state.config.context_window
    if prompt > window:
        return "context"
    if "refuse" in model or any("[[refuse]]" in str(m.get("content", "")) for m in messages):
        return "refuse"
    return None


async def _delay(state: _State, model: str) -> None:
    slow = re.search(r"slow-(\d+)", model)
    ms = state.config.latency_ms + (int(slow.group(1)) if slow else 0)
    if ms > 0:
        await asyncio.sleep(ms / 1000)


# --- OpenAI ---------------------------------------------------------------------------------
def _openai_error(kind: str, prompt: int, window: int) -> Response:
    if kind == "429":
        err = {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}
        return _json({"error": err}, 429, {"retry-after": "0"})
    if kind in ("500", "503"):
        return _json({"error": {"message": "The server had an error", "type": "server_error", "code": None}}, int(kind))
    if kind == "context":
        message = f"This model's maximum context length is {window} tokens. However, you requested {prompt} tokens."
        err = {"message": message, "type": "invalid_request_error", "code": "context_length_exceeded"}
        return _json({"error": err}, 400)
    err = {"message": "Your request was rejected by our safety system.", "type": "invalid_request_error"}
    return _json({"error": {**err, "code": "content_policy_violation"}}, 400)


async def openai_chat(request: Request) -> Response:
    state: _State = request.app.state.fake
    body = orjson.loads(await request.body())
    model, messages = str(body.get("model", "")), list(body.get("messages") or [])
    prompt = state.config.prompt_tokens or _prompt_tokens(messages)
    await _delay(state, model)
    failure = _failure(state, model, messages, prompt)
    if failure:
        window = TINY_CONTEXT if "tiny-ctx" in model else state.config.context_window
        return _openai_error(failure, prompt, window)
    words = _reply(model, messages, int(body.get("max_tokens") or 256), state.config)
    usage = {"prompt_tokens": prompt, "completion_tokens": len(words), "total_tokens": prompt + len(words)}
    rid, created = f"chatcmpl-{uuid.uuid4().hex[:12]}", int(time.time())
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        chunks = _openai_stream(rid, created, model, words, usage, include_usage)
        return StreamingResponse(chunks, media_type="text/event-stream")
    message = {"role": "assistant", "content": " ".join(words)}
    choice = {"index": 0, "message": message, "finish_reason": "stop"}
    head = {"id": rid, "object": "chat.completion", "created": created, "model": model}
    return _json({**head, "choices": [choice], "usage": usage})


async def _openai_stream(
    rid: str, created: int, model: str, words: list[str], usage: dict[str, int], include_usage: bool
) -> AsyncIterator[bytes]:
    base = {"id": rid, "object": "chat.completion.chunk", "created": created, "model": model}
    for i, word in enumerate(words):
        delta = {"content": (" " if i else "") + word} | ({"role": "assistant"} if i == 0 else {})
        chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
        yield b"data: " + orjson.dumps(chunk) + b"\n\n"
    yield b"data: " + orjson.dumps({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}) + b"\n\n"
    if include_usage:
        yield b"data: " + orjson.dumps({**base, "choices": [], "usage": usage}) + b"\n\n"
    yield b"data: [DONE]\n\n"


# --- Anthropic ------------------------------------------------------------------------------
def _anthropic_error(kind: str, prompt: int, window: int) -> Response:
    types = {"429": ("rate_limit_error", 429), "500": ("api_error", 500), "503": ("overloaded_error", 529)}
    if kind in types:
        etype, status = types[kind]
        headers = {"retry-after": "0"} if status == 429 else None
        return _json({"type": "error", "error": {"type": etype, "message": etype.replace("_", " ")}}, status, headers)
    message = f"prompt is too long: {prompt} tokens > {window} maximum"
    return _json({"type": "error", "error": {"type": "invalid_request_error", "message": message}}, 400)


async def anthropic_messages(request: Request) -> Response:
    state: _State = request.app.state.fake
    body = orjson.loads(await request.body())
    model, messages = str(body.get("model", "")), list(body.get("messages") or [])
    system = body.get("system") or ""
    prompt = state.config.prompt_tokens or _prompt_tokens(messages, system if isinstance(system, str) else "")
    await _delay(state, model)
    failure = _failure(state, model, messages, prompt)
    refused = failure == "refuse"
    if failure and not refused:
        window = TINY_CONTEXT if "tiny-ctx" in model else state.config.context_window
        return _anthropic_error(failure, prompt, window)
    words = [] if refused else _reply(model, messages, int(body.get("max_tokens") or 256), state.config)
    stop = "refusal" if refused else "end_turn"
    mid = f"msg_{uuid.uuid4().hex[:12]}"
    if body.get("stream"):
        return StreamingResponse(_anthropic_stream(mid, model, words, prompt, stop), media_type="text/event-stream")
    content = [{"type": "text", "text": " ".join(words)}] if words else []
    return _json(
        {
            "id": mid,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": prompt, "output_tokens": len(words)},
        }
    )


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\n".encode() + b"data: " + orjson.dumps({"type": event, **data}) + b"\n\n"


async def _anthropic_stream(mid: str, model: str, words: list[str], prompt: int, stop: str) -> AsyncIterator[bytes]:
    message = {"id": mid, "type": "message", "role": "assistant", "model": model, "content": []}
    yield _sse("message_start", {"message": {**message, "usage": {"input_tokens": prompt, "output_tokens": 1}}})
    yield _sse("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})
    for i, word in enumerate(words):
        text = (" " if i else "") + word
        yield _sse("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": text}})
    yield _sse("content_block_stop", {"index": 0})
    delta = {"stop_reason": stop, "stop_sequence": None}
    yield _sse("message_delta", {"delta": delta, "usage": {"output_tokens": len(words)}})
    yield _sse("message_stop", {})


# --- admin ----------------------------------------------------------------------------------
async def admin_config(request: Request) -> Response:
    state: _State = request.app.state.fake
    changes = orjson.loads(await request.body() or b"{}")
    state.config = FakeConfig(**{**asdict(state.config), **changes})
    state.rng = random.Random(state.config.seed)
    state.requests.clear()
    state.flaky_seen.clear()
    return _json(asdict(state.config))


async def admin_stats(request: Request) -> Response:
    state: _State = request.app.state.fake
    return _json({"requests": dict(state.requests), "total": sum(state.requests.values())})


def build_app(config: FakeConfig | None = None) -> Starlette:
    config = config or FakeConfig()
    app = Starlette(
        routes=[
            Route("/v1/chat/completions", openai_chat, methods=["POST"]),
            Route("/v1/messages", anthropic_messages, methods=["POST"]),
            Route("/_admin/config", admin_config, methods=["POST"]),
            Route("/_admin/stats", admin_stats, methods=["GET"]),
        ]
    )
    app.state.fake = _State(config, random.Random(config.seed))
    return app
