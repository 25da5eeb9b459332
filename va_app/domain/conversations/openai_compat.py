"""OpenAI-compatible chat: ``model`` names an agent (slug or id), or a raw catalog model.

An agent model runs the full runtime (pinned version, guardrails, caches, knowledge,
events); the client's own history is the context, since OpenAI clients resend the whole
conversation on every call, and the client's system messages are ignored: the agent
version's prompt governs. The conversation id, for version pinning, is the caller's
``X-Conversation-ID`` or else a hash of key, user and the first user message, which stays the
same as the conversation grows.

A raw model (only for keys with ``llm:models_raw``) goes straight to the router with the
messages PII-masked; no agent, no cache, no turn event (the router accounts for the cost).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from core.config import get_settings
from va_app.domain.conversations import runtime
from va_app.domain.conversations.llm import available_models, get_router
from va_app.domain.conversations.pii import StreamMasker, mask_text
from va_app.domain.conversations.turn import AgentHandle, ChatInput, ChatOutput, Turn
from va_app.domain.errors import InvalidInput, NotFound
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.llm.contracts import Attribution, ChatMessage, LLMRequest, LLMResult, ModelPolicy


@dataclass(frozen=True)
class CompletionCall:
    model: str
    messages: tuple[ChatMessage, ...]  # system/user/assistant, text only
    user: str | None = None
    conversation_id: str | None = None
    environment: str = "production"
    max_tokens: int | None = None
    temperature: float | None = None
    request_id: str | None = None


async def resolve_model(principal: Principal, model: str) -> AgentHandle | None:
    """The agent ``model`` names, or None when it is a raw model this key may call."""
    try:
        return await runtime.resolve_agent(principal, model)
    except NotFound:
        if principal.can(Perm.LLM_MODELS_RAW):
            return None
        raise NotFound(f"model '{model}' not found: name one of your agents (GET /api/v1/models)") from None


def _conversation_id(principal: Principal, call: CompletionCall) -> str:
    if call.conversation_id:
        return call.conversation_id
    first = next((m.content for m in call.messages if m.role == "user"), "")
    material = "\x1f".join((str(principal.key_id or principal.actor_id), call.user or "", call.model, first))
    return "oai_" + hashlib.blake2b(material.encode(), digest_size=12).hexdigest()


def agent_input(principal: Principal, call: CompletionCall) -> ChatInput:
    if not call.messages or call.messages[-1].role != "user":
        raise InvalidInput("messages: the last message must come from the user")
    history = tuple(m for m in call.messages[:-1] if m.role in ("user", "assistant"))
    return ChatInput(
        message=call.messages[-1].content,
        conversation_id=_conversation_id(principal, call),
        user_id=call.user,
        environment=call.environment,
        channel="api",
        history=history,
        request_id=call.request_id,
    )


async def prepare_agent(principal: Principal, handle: AgentHandle, call: CompletionCall) -> Turn:
    return await runtime.prepare(principal, handle.id, agent_input(principal, call))


def raw_request(principal: Principal, call: CompletionCall, *, stream: bool) -> LLMRequest:
    principal.require(Perm.LLM_MODELS_RAW)
    limit = get_settings().chat.max_message_chars * 4
    if sum(len(m.content) for m in call.messages) > limit:
        raise InvalidInput(f"messages must hold at most {limit} characters in all")
    return LLMRequest(
        messages=tuple(ChatMessage(m.role, mask_text(m.content)) for m in call.messages),
        policy=ModelPolicy(
            max_output_tokens=call.max_tokens or 512,
            temperature=call.temperature if call.temperature is not None else 0.2,
        ),
        attribution=Attribution(
            tenant_id=principal.tenant_id, key_id=str(principal.key_id or "") or None, end_user_id=call.user
        ),
        model=call.model,
        stream=stream,
        request_id=call.request_id,
    )


async def raw_complete(principal: Principal, call: CompletionCall) -> LLMResult:
    result = await get_router().complete(raw_request(principal, call, stream=False))
    return _masked_result(result)


async def raw_stream(request: LLMRequest) -> AsyncIterator[tuple[str, LLMResult | None]]:
    """Masked deltas, then ``("", result)`` once the router reports the final usage."""
    masker = StreamMasker()
    result: LLMResult | None = None
    async for chunk in get_router().stream(request):
        if chunk.delta:
            out = masker.feed(chunk.delta)
            if out:
                yield out, None
        if chunk.done:
            result = chunk.result
    tail = masker.flush()
    if tail:
        yield tail, None
    yield "", result


def _masked_result(result: LLMResult) -> LLMResult:
    from dataclasses import replace

    return replace(result, text=mask_text(result.text))


async def list_models(principal: Principal, raw_models: Sequence[str] = ()) -> list[tuple[str, str]]:
    """``(id, owned_by)``: the key's agents (by slug), then raw models when the key may call them."""
    from va_app.domain.agents import service

    found: list[tuple[str, str]] = []
    cursor: str | None = None
    while True:
        agents, cursor = await service.list_agents(principal, limit=200, cursor=cursor)
        found += [(a.slug, "agent") for a in agents]
        if cursor is None:
            break
    if principal.can(Perm.LLM_MODELS_RAW):
        found += [(m, "virtualagent") for m in raw_models]
    return found


def output_of(turn: Turn) -> ChatOutput:
    assert turn.output is not None
    return turn.output


async def raw_model_names(principal: Principal) -> list[str]:
    """Catalog models the tenant can call now (only asked when the key may call raw models)."""
    if not principal.can(Perm.LLM_MODELS_RAW):
        return []
    return await available_models(principal.tenant_id)
