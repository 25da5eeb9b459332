"""Conversation context in Redis: bounded, expiring, and already PII-masked.

One Redis string per conversation (``GET``/``SET EX``: one round trip each way, sliding TTL).
The key holds tenant and agent, so a conversation id chosen by a client can never reach
another tenant's or another agent's context. The context is bounded twice: by turns and by an
estimated token count. Older turns are folded into an extractive summary (the first words of
each question and answer) rather than summarised by an LLM: a summary call would add a paid
provider round trip to the turn that crosses the bound, and the extract keeps what the next
turns usually refer back to (the topic and the answer given).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import asdict, dataclass, field

import orjson

from core import cache, keys
from va_app.domain.llm.contracts import ChatMessage

SUMMARY_SNIPPET_CHARS = 120


def estimate_tokens(text: str) -> int:
    """About four characters per token for English text with common BPE tokenizers.

    Exact counts would need each provider's tokenizer on the hot path; the bound only has
    to keep prompts from growing without limit, so an estimate that errs a little high is enough.
    """
    return math.ceil(len(text) / 4) + 1 if text else 0


@dataclass
class ContextTurn:
    role: str  # "user" or "assistant"
    content: str

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.content)


@dataclass
class ConversationState:
    turns: list[ContextTurn] = field(default_factory=list)
    summary: str = ""
    failed_turns: int = 0  # consecutive turns the knowledge base could not answer
    turn_count: int = 0
    user_id: str | None = None
    cost_usd: float = 0.0  # spent on this conversation so far (the version's max_cost_per_conversation)

    def tokens(self) -> int:
        return estimate_tokens(self.summary) + sum(t.tokens for t in self.turns)

    def messages(self) -> list[ChatMessage]:
        return [ChatMessage("user" if t.role == "user" else "assistant", t.content) for t in self.turns]

    def last_reply(self) -> str:
        for turn in reversed(self.turns):
            if turn.role == "assistant":
                return turn.content
        return ""

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes | str) -> ConversationState:
        data = orjson.loads(raw)
        turns = [ContextTurn(**t) for t in data.pop("turns", [])]
        return cls(turns=turns, **{k: v for k, v in data.items() if k in _FIELDS})


_FIELDS = {"summary", "failed_turns", "turn_count", "user_id", "cost_usd"}


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_SNIPPET_CHARS else text[: SUMMARY_SNIPPET_CHARS - 1] + "…"


def _trim_summary(lines: list[str], max_tokens: int) -> list[str]:
    lines = list(lines)
    while lines and estimate_tokens("\n".join(lines)) > max_tokens:
        lines.pop(0)  # the oldest summary line goes first
    return lines


def truncate(state: ConversationState, *, max_tokens: int, max_turns: int) -> ConversationState:
    """Fold the oldest turns into the summary until the context fits both bounds.

    The summary gets at most a quarter of the token budget (its oldest lines go first); the
    newest turn always stays, cut to the budget if it alone is too long.
    """
    summary_budget = max(16, max_tokens // 4)
    lines = [line for line in state.summary.split("\n") if line]
    turns = list(state.turns)

    def over() -> bool:
        return len(turns) > max_turns or estimate_tokens("\n".join(lines)) + sum(t.tokens for t in turns) > max_tokens

    while len(turns) > 1 and over():
        oldest = turns.pop(0)
        line = f"- {oldest.role}: {_snippet(oldest.content)}"
        if oldest.role == "user" and len(turns) > 1 and turns[0].role == "assistant":
            line += f" -> assistant: {_snippet(turns.pop(0).content)}"
        lines = _trim_summary([*lines, line], summary_budget)
    if turns and sum(t.tokens for t in turns) > max_tokens:
        last = turns[-1]
        turns[-1] = ContextTurn(last.role, last.content[: max(0, (max_tokens - 1) * 4)])
    state.turns = turns
    state.summary = "\n".join(lines)
    return state


def new_conversation_id() -> str:
    return f"conv_{uuid.uuid4().hex}"


def _key(tenant_id: uuid.UUID | str, agent_id: str, environment: str, conversation_id: str) -> str:
    return keys.conversation_context(tenant_id, agent_id, environment, conversation_id)


async def load(tenant_id: uuid.UUID | str, agent_id: str, environment: str, conversation_id: str) -> ConversationState:
    raw = await cache.get_redis().get(_key(tenant_id, agent_id, environment, conversation_id))
    return ConversationState.from_json(raw) if raw else ConversationState()


async def save(
    tenant_id: uuid.UUID | str,
    agent_id: str,
    environment: str,
    conversation_id: str,
    state: ConversationState,
    *,
    ttl_s: int,
) -> None:
    await cache.get_redis().set(_key(tenant_id, agent_id, environment, conversation_id), state.to_json(), ex=ttl_s)
