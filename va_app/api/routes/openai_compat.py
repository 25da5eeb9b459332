"""``POST /chat/completions`` and ``GET /models`` in OpenAI's wire format.

Point any OpenAI SDK at ``<host>/api/v1`` with a VirtualAgent key and use an agent slug as
the model. Streaming follows OpenAI's SSE framing: ``data: <chunk>`` lines, an optional usage
chunk (``stream_options.include_usage``), then ``data: [DONE]``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header
from fastapi.responses import StreamingResponse

from core.logs import request_id_var
from va_app.api.deps import PrincipalDep
from va_app.api.errors import error_body
from va_app.api.schemas import openai as wire
from va_app.domain.conversations import openai_compat, runtime
from va_app.domain.conversations.turn import Turn
from va_app.domain.errors import DomainError
from va_app.domain.llm.contracts import LLMRequest

log = logging.getLogger(__name__)
router = APIRouter(tags=["openai-compatible"])
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _data(payload: dict[str, Any] | str) -> bytes:
    body = payload if isinstance(payload, str) else orjson.dumps(payload).decode()
    return f"data: {body}\n\n".encode()


@router.get("/models", summary="Models this key may use: its agents, and raw models when allowed")
async def list_models(principal: PrincipalDep) -> dict[str, Any]:
    return wire.model_list(await openai_compat.list_models(principal, await openai_compat.raw_model_names(principal)))


@router.post(
    "/chat/completions",
    summary="OpenAI-compatible chat completion (model = agent slug, or a raw model when allowed)",
    responses={200: {"content": {"text/event-stream": {}}, "description": "JSON, or SSE chunks when stream=true"}},
)
async def chat_completions(
    body: wire.ChatCompletionRequest,
    principal: PrincipalDep,
    x_conversation_id: Annotated[str | None, Header(max_length=128)] = None,
    x_environment: Annotated[str | None, Header(max_length=20)] = None,
) -> Any:
    call = openai_compat.CompletionCall(
        model=body.model,
        messages=body.chat_messages(),
        user=body.user,
        conversation_id=x_conversation_id,
        environment=x_environment or "production",
        max_tokens=body.max_completion_tokens or body.max_tokens,
        temperature=body.temperature,
        request_id=request_id_var.get(),
    )
    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    handle = await openai_compat.resolve_model(principal, body.model)
    cid = wire.completion_id()
    if handle is None:
        if body.stream:
            request = openai_compat.raw_request(principal, call, stream=True)
            return _sse(_raw_chunks(request, cid, body.model, include_usage))
        result = await openai_compat.raw_complete(principal, call)
        extra = {"provider": result.provider, "cost_usd": round(result.cost_usd, 8), "cached": "none"}
        return wire.completion(
            cid,
            result.model,
            result.text,
            wire.finish_reason(result.finish_reason),
            result.prompt_tokens,
            result.completion_tokens,
            extra,
        )
    turn = await openai_compat.prepare_agent(principal, handle, call)
    if body.stream:
        return _sse(_agent_chunks(turn, cid, body.model, include_usage))
    out = await runtime.complete(turn)
    return wire.completion(
        cid,
        body.model,
        out.reply,
        wire.finish_reason(out.finish_reason),
        out.prompt_tokens,
        out.completion_tokens,
        _extra(turn),
    )


def _extra(turn: Turn) -> dict[str, Any]:
    out = openai_compat.output_of(turn)
    return {
        "conversation_id": out.conversation_id,
        "agent_id": out.agent_id,
        "version": out.version,
        "model": out.model,
        "provider": out.provider,
        "cost_usd": round(out.cost_usd, 8),
        "cached": out.cached,
        "outcome": out.outcome,
        "latency_ms": out.latency_ms,
    }


def _sse(chunks: AsyncIterator[bytes]) -> StreamingResponse:
    return StreamingResponse(chunks, media_type="text/event-stream", headers=SSE_HEADERS)


async def _guarded(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """After the first byte a failure can only be reported in-band, as an error object."""
    try:
        async for item in chunks:
            yield item
    except DomainError as exc:
        yield _data(error_body(exc.code, exc.message))
    except Exception:
        log.exception("chat completion stream failed")
        yield _data(error_body("internal_error", "An unexpected error occurred; it has been logged."))
    yield _data("[DONE]")


async def _agent_chunks(turn: Turn, cid: str, model: str, include_usage: bool) -> AsyncIterator[bytes]:
    async def body() -> AsyncIterator[bytes]:
        created = int(time.time())
        yield _data(wire.chunk(cid, model, created, {"role": "assistant", "content": ""}))
        async for delta in runtime.stream(turn):
            yield _data(wire.chunk(cid, model, created, {"content": delta}))
        out = openai_compat.output_of(turn)
        final = wire.chunk(cid, model, created, {}, wire.finish_reason(out.finish_reason))
        final["virtualagent"] = _extra(turn)
        yield _data(final)
        if include_usage:
            yield _data(wire.usage_chunk(cid, model, created, out.prompt_tokens, out.completion_tokens))

    async for item in _guarded(body()):
        yield item


async def _raw_chunks(request: LLMRequest, cid: str, model: str, include_usage: bool) -> AsyncIterator[bytes]:
    async def body() -> AsyncIterator[bytes]:
        created = int(time.time())
        yield _data(wire.chunk(cid, model, created, {"role": "assistant", "content": ""}))
        async for delta, result in openai_compat.raw_stream(request):
            if delta:
                yield _data(wire.chunk(cid, model, created, {"content": delta}))
            if result is not None:
                yield _data(wire.chunk(cid, model, created, {}, wire.finish_reason(result.finish_reason)))
                if include_usage:
                    yield _data(wire.usage_chunk(cid, model, created, result.prompt_tokens, result.completion_tokens))

    async for item in _guarded(body()):
        yield item
