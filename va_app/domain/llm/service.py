"""What the API and the console call: models, raw queries, health, provider settings.

Routes stay thin: they turn wire schemas into these calls. The conversation runtime calls
``get_router().complete(...)`` directly with a full :class:`LLMRequest`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from va_app.domain.errors import InvalidInput
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.llm.catalog import normalize_tier
from va_app.domain.llm.contracts import (
    Attribution,
    ChatMessage,
    LLMRequest,
    LLMResult,
    ModelPolicy,
    StreamChunk,
    is_policy,
    is_role,
)
from va_app.domain.llm.router import get_router


@dataclass(frozen=True)
class ModelView:
    name: str
    provider: str
    tier: str
    context_window: int
    max_output_tokens: int
    input_per_1k: float
    output_per_1k: float
    capabilities: list[str]
    source: str
    state: str  # circuit breaker: closed | open | half_open


async def list_models(principal: Principal) -> list[ModelView]:
    """Every model the caller's tenant can use now, cheapest first."""
    principal.require(Perm.TENANT_READ)
    router = get_router()
    available = await router.available(principal.tenant_id)
    views = [
        ModelView(
            name=d.model.name,
            provider=d.model.provider,
            tier=d.model.tier,
            context_window=d.model.context_window,
            max_output_tokens=d.model.max_output_tokens,
            input_per_1k=d.model.input_per_1k,
            output_per_1k=d.model.output_per_1k,
            capabilities=list(d.model.capabilities),
            source=d.model.source,
            state=router.breakers.state(d.id),
        )
        for d in available.values()
    ]
    return sorted(views, key=lambda v: (v.input_per_1k + v.output_per_1k, v.name))


def _message(role: str, content: str) -> ChatMessage:
    if not is_role(role):
        raise InvalidInput(f"unknown message role '{role}'")
    return ChatMessage(role, content)


def build_request(
    principal: Principal,
    *,
    messages: list[tuple[str, str]],
    model: str | None,
    quality_tier: str,
    routing: str,
    allowed_models: list[str],
    weights: dict[str, float],
    max_output_tokens: int,
    temperature: float,
    knowledge: list[str],
    agent_id: str | None = None,
    end_user_id: str | None = None,
    request_id: str | None = None,
    stream: bool = False,
) -> LLMRequest:
    principal.require(Perm.LLM_QUERY)
    if not messages:
        raise InvalidInput("send 'messages' or 'prompt'")
    try:
        tier = normalize_tier(quality_tier)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if agent_id is not None and not principal.may_use_agent(agent_id):
        raise InvalidInput("this API key may not act for that agent")
    if not is_policy(routing):
        raise InvalidInput(f"unknown routing '{routing}'")
    return LLMRequest(
        messages=tuple(_message(role, content) for role, content in messages),
        policy=ModelPolicy(
            quality_tier=tier,
            allowed_models=tuple(allowed_models),
            routing=routing,
            weights=dict(weights),
            max_output_tokens=max_output_tokens,
            temperature=temperature,
        ),
        attribution=Attribution(
            tenant_id=principal.tenant_id,
            agent_id=agent_id,
            key_id=str(principal.key_id) if principal.key_id else None,
            end_user_id=end_user_id,
        ),
        knowledge=tuple(knowledge),
        model=model,
        stream=stream,
        request_id=request_id,
    )


async def query(request: LLMRequest) -> LLMResult:
    return await get_router().complete(request)


def query_stream(request: LLMRequest) -> AsyncIterator[StreamChunk]:
    return get_router().stream(request)


async def health(principal: Principal) -> list[dict[str, object]]:
    principal.require(Perm.TENANT_READ)
    return await get_router().tenant_health(principal.tenant_id)
