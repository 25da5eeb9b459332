"""One chat turn, start to finish.

authenticate (done by the caller) -> agent -> pinned version -> input guardrails (PII, explicit
handoff, blocked topics) -> exact cache -> embedding, intent, intent handoff -> knowledge
retrieval (low confidence may hand off) -> semantic cache (hits must share the top chunk) -> LLM
router -> reply guardrails (PII) -> the runtime's verdict on the reply (outcome.py: the
no-answer convention, admissions, grounding in the retrieved chunks) -> context -> turn event
-> cache fill (answered, grounded turns only).

The cheap checks come first so an exact hit costs two Redis round trips (version pin, answer)
and no embedding; the embedding is computed once and serves the intent classifier and the
semantic cache, which waits for retrieval (milliseconds, no tokens) to check grounding.
:func:`prepare` runs everything up to the router, so the plain and the
streaming answers (:func:`complete`, :func:`stream`) share it and differ only in how the
router is called.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator

from core import db
from core.config import get_settings
from core.embeddings import DEFAULT_MODEL
from core.metrics import CACHE_HITS, CACHE_MISSES
from core.tracing import span
from va_app.domain.agents import resolver
from va_app.domain.agents.service import load_agent
from va_app.domain.conversations import cache, context, events, guardrails, intents, outcome
from va_app.domain.conversations.context import ContextTurn, ConversationState
from va_app.domain.conversations.llm import get_router
from va_app.domain.conversations.pii import StreamMasker, mask_text
from va_app.domain.conversations.prompt import build_request
from va_app.domain.conversations.turn import AgentHandle, ChatInput, ChatOutput, Turn
from va_app.domain.errors import DomainError, NotFound, Unavailable
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.knowledge.search import RetrievedChunk, embed_query, retrieve
from va_app.domain.llm.contracts import LLMResult
from va_app.domain.llm.errors import AllModelsFailed

log = logging.getLogger(__name__)

AGENT_CACHE_TTL_S = 10.0
HUMAN_REQUEST_SCORE = 0.6  # the classifier alone asks for a person only when this sure
_agents: dict[tuple[uuid.UUID, str], tuple[float, AgentHandle]] = {}


async def resolve_agent(principal: Principal, id_or_slug: str) -> AgentHandle:
    """The caller's agent, cached in-process for a few seconds (slugs and ids never move)."""
    principal.require(Perm.CHAT)
    principal.require(Perm.AGENTS_READ)
    key = (principal.tenant_id, id_or_slug)
    now = time.monotonic()
    found = _agents.get(key)
    if found is None or found[0] < now:
        async with db.session_scope() as session:
            row = await load_agent(session, principal, id_or_slug)
            handle = AgentHandle(str(row.id), row.slug, row.template)
        if len(_agents) > 10_000:
            _agents.clear()
        _agents[key] = (now + AGENT_CACHE_TTL_S, handle)
    else:
        handle = found[1]
    if not principal.may_use_agent(handle.id, handle.slug):
        raise NotFound(f"agent '{id_or_slug}' not found")
    return handle


def _state_from_history(inp: ChatInput) -> ConversationState:
    turns = [ContextTurn(m.role, mask_text(m.content)) for m in inp.history or () if m.role in ("user", "assistant")]
    return ConversationState(turns=turns)


async def prepare(principal: Principal, agent: str, inp: ChatInput) -> Turn:
    """Everything before the router; ``turn.output`` is set when the turn is already answered."""
    settings = get_settings().chat
    inp = inp.checked(settings.max_message_chars)
    handle = await resolve_agent(principal, agent)
    conversation_id = inp.conversation_id or context.new_conversation_id()
    served = await resolver.resolve(principal.tenant_id, handle.id, inp.environment, conversation_id, inp.user_id)
    version = served.version
    config = guardrails.GuardrailConfig.from_version(version.guardrails, version.handoff_rules)
    if inp.history is not None or inp.probe:
        state = _state_from_history(inp)
    else:
        state = await context.load(principal.tenant_id, handle.id, inp.environment, conversation_id)
    masked = guardrails.mask_input(inp.message)
    turn = Turn(
        tenant_id=principal.tenant_id,
        key_id=str(principal.key_id or ""),
        agent=handle,
        inp=inp,
        conversation_id=conversation_id,
        version=version,
        config=config,
        state=state,
        user_text=masked.text,
        provider_text=masked.text if config.pii_masking else inp.message,
        has_pii=masked.any,
        deployment_id=served.deployment_id,
    )
    with span("chat.prepare", agent=handle.slug, version=version.number, conversation_id=conversation_id):
        await _guard_and_lookup(turn)
    if turn.output is not None:
        await _conclude(turn)
    return turn


def _max_conversation_cost(turn: Turn) -> float | None:
    policy = turn.version.model_policy or {}
    value = policy.get("max_cost_per_conversation_usd", policy.get("max_cost_per_conversation"))
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


async def _guard_and_lookup(turn: Turn) -> None:
    settings = get_settings().chat
    reason = guardrails.handoff_reason(turn.user_text, turn.config)
    if reason is not None:
        return _handoff(turn, reason)
    topic = guardrails.blocked_topic(turn.user_text, turn.config)
    if topic is not None:
        turn.extra["blocked_topic"] = topic
        turn.output = turn.new_output(guardrails.refusal(topic), outcome="blocked")
        return None
    limit = _max_conversation_cost(turn)
    if limit is not None and turn.state.cost_usd >= limit:
        # The version caps what one conversation may cost: hand over instead of spending more.
        turn.extra["cost_usd_so_far"] = round(turn.state.cost_usd, 6)
        return _handoff(turn, "conversation_cost_limit")
    cacheable = settings.cache_enabled and not turn.has_pii and not turn.inp.probe
    scope = cache.context_scope(turn.user_text, turn.state.last_reply())
    if cacheable:
        turn.cache_key = cache.exact_key(turn.tenant_id, turn.agent.id, turn.version.number, turn.user_text, scope)
        hit = await cache.get_exact(turn.cache_key)
        if hit is not None:
            return _cached(turn, hit)
    turn.vector = await embed_query(turn.user_text, DEFAULT_MODEL)
    labels = intents.intents_for(turn.agent.template, turn.config.handoff_intents)
    classifier = await intents.classifier_for(labels, DEFAULT_MODEL)
    found = classifier.classify(turn.user_text, turn.vector)
    turn.intent = found.name
    reason = guardrails.handoff_reason(turn.user_text, turn.config, intent=turn.intent)
    if reason is None and turn.intent == "human_request" and found.score >= HUMAN_REQUEST_SCORE:
        reason = "user_request"
    if reason is not None:
        return _handoff(turn, reason)
    turn.semantic_ok = cacheable and scope == "" and cache.semantic_allowed(turn.version)
    return await _ground(turn)


async def _ground(turn: Turn) -> None:
    """Retrieve knowledge; when the knowledge base has nothing, count a failed turn or hand off."""
    settings = get_settings().chat
    chunks: list[RetrievedChunk] = []
    if turn.version.knowledge_base_ids:
        chunks = await retrieve(turn.tenant_id, turn.version.knowledge_base_ids, turn.user_text, settings.retrieval_k)
        best = chunks[0].score if chunks else 0.0
        turn.extra["retrieval_score"] = round(best, 4)
        turn.low_confidence = guardrails.low_confidence(best, settings.low_confidence_score)
        limit = turn.config.max_failed_turns
        if turn.low_confidence and turn.config.handoff_enabled and limit and turn.state.failed_turns + 1 >= limit:
            return _handoff(turn, "low_confidence")
        chunks = [c for c in chunks if c.score >= settings.low_confidence_score]
    # The semantic cache comes after retrieval (a few ms, no tokens): a hit must be grounded
    # in the same top chunk as the question that filled it (see cache.py).
    turn.source_key = chunks[0].id if chunks and settings.semantic_cache_grounded else ""
    if turn.semantic_ok and not turn.low_confidence:
        hit = await cache.get_semantic(
            turn.tenant_id,
            turn.agent.id,
            turn.version.number,
            DEFAULT_MODEL,
            turn.vector,
            turn.source_key,
            question=turn.user_text,
        )
        if hit is not None:
            return _cached(turn, hit)
    turn.knowledge = chunks
    turn.request = build_request(turn, chunks)
    if turn.cache_key is not None:
        CACHE_MISSES.inc()
    return None


def _cached(turn: Turn, hit: cache.CachedReply) -> None:
    CACHE_HITS.labels(hit.kind).inc()
    turn.intent = hit.intent
    turn.extra.update(saved_cost_usd=hit.cost_usd, similarity=hit.similarity)
    turn.output = turn.new_output(hit.reply, model=hit.model, provider=hit.provider, cached=hit.kind)


def _handoff(turn: Turn, reason: str) -> None:
    """Answer with the version's handoff message and ask the integration hub for a person."""
    config = turn.config
    turn.extra["handoff_reason"] = reason
    turn.output = turn.new_output(
        config.handoff_message, outcome="handoff", handoff={"reason": reason, "target_queue": config.target_queue}
    )
    if turn.inp.probe:
        return
    transcript = [{"role": t.role, "content": t.content} for t in turn.state.turns]
    transcript.append({"role": "user", "content": turn.user_text})
    events.emit_handoff(
        turn.tenant_id,
        events.handoff_envelope(
            turn.tenant_id,
            turn.agent.id,
            turn.version.number,
            turn.inp.environment,
            conversation_id=turn.conversation_id,
            reason=reason,
            queue=config.target_queue,
            transcript=transcript,
            end_user_id=turn.inp.user_id or "",
            channel=turn.inp.channel,
            deployment_id=turn.deployment_id,
        ),
    )


async def _conclude(turn: Turn) -> ChatOutput:
    """Latency, context and the turn event (the health probe keeps no context and emits nothing)."""
    out = turn.output
    assert out is not None
    out.latency_ms = turn.elapsed_ms()
    if turn.inp.probe:
        return out
    await _save_context(turn)
    events.emit_turn(
        events.TurnRecord(
            tenant_id=turn.tenant_id,
            agent_id=turn.agent.id,
            version=turn.version.number,
            conversation_id=turn.conversation_id,
            end_user_id=turn.inp.user_id or "",
            channel=turn.inp.channel,
            environment=turn.inp.environment,
            deployment_id=turn.deployment_id,
            model=out.model,
            provider=out.provider,
            intent=out.intent or turn.intent,
            outcome=out.outcome,
            cache_kind=out.cached,
            latency_ms=out.latency_ms,
            prompt_tokens=out.prompt_tokens,
            completion_tokens=out.completion_tokens,
            cost_usd=out.cost_usd,
            user_message=turn.user_text,
            reply=out.reply,
            key_id=turn.key_id,
            extra={k: v for k, v in turn.extra.items() if v is not None},
        )
    )
    return out


async def _save_context(turn: Turn) -> None:
    out = turn.output
    if out is None or turn.inp.history is not None or out.outcome == "error":
        return
    settings = get_settings().chat
    state = turn.state
    state.turns += [ContextTurn("user", turn.user_text), ContextTurn("assistant", mask_text(out.reply))]
    state.turn_count += 1
    state.user_id = turn.inp.user_id or state.user_id
    state.failed_turns = state.failed_turns + 1 if turn.low_confidence else 0
    state.cost_usd += out.cost_usd if out.cached == "none" else 0.0
    context.truncate(state, max_tokens=settings.context_max_tokens, max_turns=settings.context_max_turns)
    await context.save(
        turn.tenant_id, turn.agent.id, turn.inp.environment, turn.conversation_id, state, ttl_s=settings.context_ttl_s
    )


def _sources(chunks: list[RetrievedChunk]) -> list[dict[str, object]]:
    return [
        {"document": c.filename, "chunk_id": c.id, "score": round(c.score, 4), "knowledge_base_id": c.knowledge_base_id}
        for c in chunks
    ]


async def _after_answer(turn: Turn, result: LLMResult, reply: str, marked: bool) -> ChatOutput:
    """The router answered (reply guardrails applied, marker stripped): verdict, output, context, event, caches."""
    verdict = outcome.judge(
        reply, marked=marked, chunks=turn.knowledge, has_knowledge=bool(turn.version.knowledge_base_ids)
    )
    turn.output = turn.new_output(
        verdict.reply,
        model=result.model,
        provider=result.provider,
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        cost_usd=result.cost_usd,
        finish_reason=result.finish_reason,
        outcome=verdict.outcome,
        sources=_sources(verdict.sources),
    )
    turn.extra.update(attempts=result.attempts, fallback_from=result.fallback_from, grounded=verdict.grounded)
    confidence = result.extra.get("confidence")
    floor = turn.config.min_confidence
    if isinstance(confidence, int | float) and floor is not None and confidence < floor:
        turn.low_confidence = True
    if verdict.outcome == "unanswered":
        turn.extra["no_answer"] = verdict.reason
        turn.low_confidence = True  # a failed turn: counts towards the version's max_failed_turns
        _hand_off_after_failed_turns(turn, result)
    if turn.low_confidence:
        turn.extra["low_confidence"] = True
    out = await _conclude(turn)
    if verdict.grounded is not False:
        await _fill_caches(turn, result)
    return out


def _hand_off_after_failed_turns(turn: Turn, result: LLMResult) -> None:
    """The non-answer that reaches ``max_failed_turns`` hands off: the user reads both sentences."""
    limit = turn.config.max_failed_turns
    if not (turn.config.handoff_enabled and limit and turn.state.failed_turns + 1 >= limit):
        return
    said = turn.output.reply if turn.output else ""
    _handoff(turn, "no_answer")
    out = turn.output
    assert out is not None
    out.reply = f"{said}\n\n{out.reply}" if said else out.reply
    out.model, out.provider, out.cost_usd = result.model, result.provider, result.cost_usd
    out.prompt_tokens, out.completion_tokens = result.prompt_tokens, result.completion_tokens


async def _fill_caches(turn: Turn, result: LLMResult) -> None:
    out = turn.output
    if out is None or turn.cache_key is None or turn.low_confidence or out.outcome != "answered":
        return
    entry = cache.CachedReply(
        reply=out.reply,
        model=result.model,
        provider=result.provider,
        intent=turn.intent,
        cost_usd=result.cost_usd,
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
    )
    try:
        await cache.put_exact(turn.tenant_id, turn.agent.id, turn.cache_key, entry)
        if turn.semantic_ok and turn.vector is not None:
            await cache.put_semantic(
                turn.tenant_id,
                turn.agent.id,
                turn.version.number,
                DEFAULT_MODEL,
                turn.vector,
                turn.user_text,
                entry,
                turn.source_key,
            )
    except Exception:  # a cache that cannot be written costs money later, never this answer
        log.exception("could not fill the answer caches")


def _refused(exc: BaseException) -> bool:
    """Every model refused the content (OpenAI's content-policy 400, Anthropic's stop_reason refusal)."""
    return isinstance(exc, AllModelsFailed) and exc.refused


async def _provider_refusal(turn: Turn) -> ChatOutput:
    """A refusal is the model's guardrail: ``blocked`` with a polite reply, not a 503."""
    turn.extra["blocked_by"] = "provider"
    turn.output = turn.new_output(outcome.PROVIDER_REFUSAL, outcome="blocked")
    return await _conclude(turn)


async def _failed(turn: Turn, exc: BaseException) -> DomainError:
    turn.output = turn.new_output("", outcome="error")
    turn.extra["error"] = type(exc).__name__
    await _conclude(turn)
    if isinstance(exc, DomainError):
        return exc
    log.error("LLM router failed", exc_info=exc)
    return Unavailable("the language model is unavailable; please try again")


async def complete(turn: Turn) -> ChatOutput:
    if turn.output is not None:
        return turn.output
    assert turn.request is not None
    try:
        with span("chat.llm", agent=turn.agent.slug, version=turn.version.number):
            result = await get_router().complete(turn.request)
    except Exception as exc:
        if _refused(exc):
            return await _provider_refusal(turn)
        raise await _failed(turn, exc) from exc
    reply, marked = outcome.strip_marker(result.text)
    reply = mask_text(reply) if turn.config.pii_masking else reply
    return await _after_answer(turn, result, reply, marked)


async def stream(turn: Turn) -> AsyncIterator[str]:
    """Masked reply text as it arrives; ``turn.output`` is complete once the iterator ends.

    The no-answer marker never reaches the client: :class:`outcome.MarkerFilter` holds back
    what could be its beginning until it is sure.
    """
    if turn.output is not None:
        yield turn.output.reply
        return
    assert turn.request is not None
    masker = StreamMasker() if turn.config.pii_masking else None
    marker = outcome.MarkerFilter()
    parts: list[str] = []
    result: LLMResult | None = None
    try:
        async for chunk in get_router().stream(turn.request):
            if chunk.delta:
                text = marker.feed(chunk.delta)
                out = masker.feed(text) if masker and text else text
                if out:
                    parts.append(out)
                    yield out
            if chunk.done:
                result = chunk.result
        held = marker.flush()
        tail = (masker.feed(held) if masker and held else held) + (masker.flush() if masker else "")
    except Exception as exc:
        if not (_refused(exc) and not parts):
            raise await _failed(turn, exc) from exc
        yield (await _provider_refusal(turn)).reply
        return
    if tail:
        parts.append(tail)
        yield tail
    if result is None:
        raise await _failed(turn, RuntimeError("the stream ended without a result"))
    said = "".join(parts)
    await _after_answer(turn, result, said, marker.seen)
    assert turn.output is not None
    if turn.output.reply != said and turn.output.reply.startswith(said):
        yield turn.output.reply[len(said) :]  # the no-answer text or the handoff message after it


async def chat(principal: Principal, agent: str, inp: ChatInput) -> ChatOutput:
    return await complete(await prepare(principal, agent, inp))
