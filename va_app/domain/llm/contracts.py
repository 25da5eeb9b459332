"""The contract between the conversation runtime and the LLM router.

The runtime builds an :class:`LLMRequest` (messages already PII-masked, the version's model
policy, who pays) and gets an :class:`LLMResult` back; it never talks to a provider itself.
The router owns model choice, retries, fallbacks, circuit breakers, cost accounting and the
budget reservation that happens *before* the provider is called.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeGuard, get_args

Role = Literal["system", "user", "assistant"]
Policy = Literal["cheapest", "complexity", "latency", "weighted"]


def is_role(value: str) -> TypeGuard[Role]:
    return value in get_args(Role)


def is_policy(value: str) -> TypeGuard[Policy]:
    return value in get_args(Policy)


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class ModelPolicy:
    """From the agent version: what quality is needed and what may be spent."""

    quality_tier: Literal["basic", "standard", "high"] = "standard"
    allowed_models: tuple[str, ...] = ()  # empty = any model of the tier and above
    routing: Policy = "cheapest"
    weights: dict[str, float] = field(default_factory=dict)  # for routing="weighted"
    max_cost_per_conversation: float | None = None
    max_output_tokens: int = 512
    temperature: float = 0.2


@dataclass(frozen=True)
class Attribution:
    """Who pays: every call's tokens and cost are attributed to all of these."""

    tenant_id: uuid.UUID
    agent_id: str | None = None
    version: int | None = None
    key_id: str | None = None
    end_user_id: str | None = None
    conversation_id: str | None = None


@dataclass(frozen=True)
class LLMRequest:
    messages: tuple[ChatMessage, ...]
    policy: ModelPolicy
    attribution: Attribution
    knowledge: tuple[str, ...] = ()  # retrieved chunks, for the offline `local` provider
    model: str | None = None  # force one catalog model (raw /llm/query or OpenAI-compatible calls)
    stream: bool = False
    request_id: str | None = None


@dataclass(frozen=True)
class LLMResult:
    text: str
    model: str
    provider: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_ms: float
    attempts: int = 1
    fallback_from: str | None = None
    finish_reason: str = "stop"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StreamChunk:
    delta: str
    done: bool = False
    result: LLMResult | None = None  # set on the final chunk


class LLMRouter(Protocol):
    async def complete(self, request: LLMRequest) -> LLMResult: ...

    def stream(self, request: LLMRequest) -> AsyncIterator[StreamChunk]: ...
