"""Wire schemas of ``POST /agents/{id}/chat``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.channels import AgentChannelName
from va_app.domain.agents.resolver import Environment
from va_app.domain.conversations.events import Outcome
from va_app.domain.conversations.turn import ChatOutput

Channel = AgentChannelName


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=8000, description="what the end user said")
    conversation_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._:\-]{1,128}$",
        description="continue a conversation (its context and version); omit to start one",
    )
    user_id: str | None = Field(default=None, max_length=200, description="your id of the end user")
    environment: Environment = "production"
    channel: Channel = "api"
    stream: bool = Field(default=False, description="answer as server-sent events (delta…, then done)")


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class Handoff(BaseModel):
    reason: str
    target_queue: str


class Source(BaseModel):
    document: str
    chunk_id: str
    score: float
    knowledge_base_id: str


class ChatResponse(BaseModel):
    conversation_id: str
    reply: str
    agent_id: str
    version: int
    model: str
    provider: str
    usage: Usage
    cost_usd: float
    cached: Literal["none", "exact", "semantic"]
    latency_ms: float
    outcome: Outcome = Field(description="answered, unanswered, blocked, handoff or error (see the README)")
    intent: str
    handoff: Handoff | None = None
    sources: list[Source] = Field(default_factory=list)


def chat_response(out: ChatOutput) -> ChatResponse:
    return ChatResponse(
        conversation_id=out.conversation_id,
        reply=out.reply,
        agent_id=out.agent_id,
        version=out.version,
        model=out.model,
        provider=out.provider,
        usage=Usage(
            prompt_tokens=out.prompt_tokens,
            completion_tokens=out.completion_tokens,
            total_tokens=out.prompt_tokens + out.completion_tokens,
        ),
        cost_usd=round(out.cost_usd, 8),
        cached=out.cached,  # type: ignore[arg-type]
        latency_ms=out.latency_ms,
        outcome=out.outcome,
        intent=out.intent,
        handoff=Handoff(**out.handoff) if out.handoff else None,
        sources=[Source(**s) for s in out.sources],
    )


def sse(event: str, data: dict[str, Any] | str) -> bytes:
    """One server-sent event; ``data`` is JSON (already encoded when a str)."""
    import orjson

    body = data if isinstance(data, str) else orjson.dumps(data).decode()
    return f"event: {event}\ndata: {body}\n\n".encode()
