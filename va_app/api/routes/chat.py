"""``POST /agents/{agent_id}/chat``: one conversation turn, as JSON or server-sent events.

Everything that can fail with a 4xx (unknown agent, nothing deployed, bad input, rate
limits) happens before the stream starts, so a streaming client still gets a JSON error with
the right status. Failures after the first byte arrive as an ``error`` event.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import StreamingResponse

from core.logs import request_id_var
from va_app.api.deps import PrincipalDep
from va_app.api.errors import error_body
from va_app.api.schemas.chat import ChatRequest, ChatResponse, chat_response, sse
from va_app.domain.conversations import runtime
from va_app.domain.conversations.turn import ChatInput, Turn
from va_app.domain.errors import DomainError

log = logging.getLogger(__name__)
router = APIRouter(tags=["chat"])
AgentPath = Annotated[str, Path(max_length=200, description="agent id or slug")]
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.post(
    "/agents/{agent_id}/chat",
    response_model=ChatResponse,
    summary="Talk to an agent (the version this conversation is pinned to)",
    responses={200: {"content": {"text/event-stream": {}}, "description": "JSON, or SSE when stream=true"}},
)
async def chat(agent_id: AgentPath, body: ChatRequest, principal: PrincipalDep) -> ChatResponse | StreamingResponse:
    inp = ChatInput(
        message=body.message,
        conversation_id=body.conversation_id,
        user_id=body.user_id,
        environment=body.environment,
        channel=body.channel,
        request_id=request_id_var.get(),
    )
    turn = await runtime.prepare(principal, agent_id, inp)
    if not body.stream:
        return chat_response(await runtime.complete(turn))
    return StreamingResponse(_events(turn), media_type="text/event-stream", headers=SSE_HEADERS)


async def _events(turn: Turn) -> AsyncIterator[bytes]:
    yield sse("start", {"conversation_id": turn.conversation_id, "version": turn.version.number})
    try:
        async for delta in runtime.stream(turn):
            yield sse("delta", {"delta": delta})
    except DomainError as exc:
        yield sse("error", error_body(exc.code, exc.message))
        return
    except Exception:  # headers are sent: the client can only learn of the failure in-band
        log.exception("chat stream failed")
        yield sse("error", error_body("internal_error", "An unexpected error occurred; it has been logged."))
        return
    assert turn.output is not None
    yield sse("done", chat_response(turn.output).model_dump_json())
