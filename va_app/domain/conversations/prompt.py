"""The messages a provider sees for one turn: system prompt, grounding, summary, history, question.

Retrieved chunks go twice: as ``LLMRequest.knowledge`` for the offline ``local`` provider,
which answers from them directly, and inside the system message for real models, numbered so
the answer can cite them. Every system message ends with the no-answer convention
(:data:`~va_app.domain.conversations.outcome.NO_ANSWER_INSTRUCTION`), which the runtime checks in
the reply. Everything here is already PII-masked by the pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence

from va_app.domain.conversations.llm import policy_for
from va_app.domain.conversations.outcome import NO_ANSWER_INSTRUCTION
from va_app.domain.conversations.turn import Turn
from va_app.domain.knowledge.search import RetrievedChunk
from va_app.domain.llm.contracts import Attribution, ChatMessage, LLMRequest

GROUNDING_HEADER = (
    "Answer from these knowledge base excerpts when they are relevant; if they do not contain the answer, "
    "you cannot answer."
)


def system_message(system_prompt: str, chunks: Sequence[RetrievedChunk], summary: str) -> str:
    parts = [system_prompt.strip() or "You are a helpful assistant."]
    if chunks:
        excerpts = "\n".join(f"[{i}] {c.content.strip()}" for i, c in enumerate(chunks, 1))
        parts.append(f"{GROUNDING_HEADER}\n{excerpts}")
    if summary:
        parts.append(f"Earlier in this conversation:\n{summary}")
    parts.append(NO_ANSWER_INSTRUCTION)
    return "\n\n".join(parts)


def build_request(turn: Turn, chunks: Sequence[RetrievedChunk]) -> LLMRequest:
    version = turn.version
    messages = [ChatMessage("system", system_message(version.system_prompt, chunks, turn.state.summary))]
    messages += turn.state.messages()
    messages.append(ChatMessage("user", turn.provider_text))
    return LLMRequest(
        messages=tuple(messages),
        policy=policy_for(version.model_policy, version.temperature),
        attribution=Attribution(
            tenant_id=turn.tenant_id,
            agent_id=turn.agent.id,
            version=version.number,
            key_id=turn.key_id or None,
            end_user_id=turn.inp.user_id,
            conversation_id=turn.conversation_id,
        ),
        knowledge=tuple(c.content for c in chunks),
        stream=False,
        request_id=turn.inp.request_id,
    )
