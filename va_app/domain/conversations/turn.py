"""The data of one chat turn: what comes in, what goes out, and what the pipeline carries between.

Kept apart from the orchestration (``runtime.py``) so the API schemas, the OpenAI-compatible
layer and the health probe share the same shapes.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from va_app.domain.agents.versions import VersionInfo
from va_app.domain.conversations.context import ConversationState
from va_app.domain.conversations.events import Outcome
from va_app.domain.conversations.guardrails import GuardrailConfig
from va_app.domain.errors import InvalidInput
from va_app.domain.knowledge.search import RetrievedChunk
from va_app.domain.llm.contracts import ChatMessage, LLMRequest

CONVERSATION_ID_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


@dataclass(frozen=True)
class ChatInput:
    message: str
    conversation_id: str | None = None
    user_id: str | None = None
    environment: str = "production"
    channel: str = "api"
    # Set by the OpenAI-compatible API, whose clients send the whole history every time:
    # then the history is the context and nothing is loaded from or saved to Redis.
    history: tuple[ChatMessage, ...] | None = None
    request_id: str | None = None
    probe: bool = False  # the health check's scripted turn: no cache, no context, no events

    def checked(self, max_chars: int) -> ChatInput:
        if not self.message or not self.message.strip():
            raise InvalidInput("message must not be empty")
        if len(self.message) > max_chars:
            raise InvalidInput(f"message must be at most {max_chars} characters")
        if self.conversation_id is not None and not CONVERSATION_ID_RE.match(self.conversation_id):
            raise InvalidInput("conversation_id: 1-128 letters, digits, '.', '_', ':' or '-'")
        if self.user_id is not None and len(self.user_id) > 200:
            raise InvalidInput("user_id must be at most 200 characters")
        return self


@dataclass
class ChatOutput:
    conversation_id: str
    reply: str
    version: int
    agent_id: str
    agent_slug: str
    model: str = ""
    provider: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cached: str = "none"  # none / exact / semantic
    latency_ms: float = 0.0
    outcome: Outcome = "answered"
    intent: str = ""
    handoff: dict[str, Any] | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str = "stop"


@dataclass(frozen=True)
class AgentHandle:
    id: str
    slug: str
    template: str | None


@dataclass
class Turn:
    """Everything one turn needs, filled in as it moves through the pipeline."""

    tenant_id: uuid.UUID
    key_id: str
    agent: AgentHandle
    inp: ChatInput
    conversation_id: str
    version: VersionInfo
    config: GuardrailConfig
    state: ConversationState
    user_text: str  # PII-masked: what logs, events, caches and the context hold
    provider_text: str  # what the provider sees (masked unless the version opted out)
    has_pii: bool
    started: float = field(default_factory=time.perf_counter)
    deployment_id: str = ""  # the deployment of ``inp.environment`` serving this turn (for its event)
    intent: str = ""
    cache_key: str | None = None
    semantic_ok: bool = False
    source_key: str = ""  # the top knowledge chunk: semantic hits must share it
    vector: Any = None
    request: LLMRequest | None = None
    low_confidence: bool = False
    knowledge: list[RetrievedChunk] = field(default_factory=list)  # what the reply is checked against
    extra: dict[str, Any] = field(default_factory=dict)  # goes into the turn event's ``extra``
    output: ChatOutput | None = None  # set when the turn is answered before the router

    def elapsed_ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 3)

    def new_output(self, reply: str, **fields: Any) -> ChatOutput:
        return ChatOutput(
            conversation_id=self.conversation_id,
            reply=reply,
            version=self.version.number,
            agent_id=self.agent.id,
            agent_slug=self.agent.slug,
            intent=self.intent,
            **fields,
        )
