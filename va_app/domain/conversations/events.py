"""What a turn tells the rest of the platform: one ``conversation.logs`` event, and on a
handoff an ``agent.events`` ``handoff.requested`` event the integration hub turns into a ticket.

Turn events go through a process-wide :class:`EventBatcher` (one per event loop), so the
request path only appends to a list; the batcher publishes one bus message per tenant every
few milliseconds. Every text field is PII-masked here, whatever the caller passed, so no
stored log can hold an identifier even if a caller forgot to mask.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from core.events import validate_event
from core.outcomes import Outcome
from va_app.domain.conversations.pii import mask_text
from va_app.domain.ingestion.publisher import EventBatcher

LOGS_TOPIC = "conversation.logs"
AGENT_TOPIC = "agent.events"
MAX_TEXT = 20_000
__all__ = ["Outcome", "TurnRecord", "emit_handoff", "emit_turn", "flush", "handoff_envelope", "turn_envelope"]

_batchers: dict[int, EventBatcher] = {}


def batcher() -> EventBatcher:
    loop_id = id(asyncio.get_running_loop())
    found = _batchers.get(loop_id)
    if found is None:
        found = _batchers[loop_id] = EventBatcher()
    return found


async def flush() -> None:
    """Publish what is pending now (shutdown, tests)."""
    found = _batchers.get(id(asyncio.get_running_loop()))
    if found is not None:
        await found.flush()


@dataclass(frozen=True)
class TurnRecord:
    tenant_id: uuid.UUID
    agent_id: str
    version: int
    conversation_id: str
    end_user_id: str = ""
    channel: str = "api"
    environment: str = ""  # where the turn was served (core.environments); "" only if unknown
    deployment_id: str = ""  # the environment's deployment that served it
    model: str = ""
    provider: str = ""
    intent: str = ""
    outcome: Outcome = "answered"
    cache_kind: str = "none"
    latency_ms: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    user_message: str = ""
    reply: str = ""
    key_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def turn_envelope(record: TurnRecord) -> dict[str, Any]:
    payload = {
        "agent_id": record.agent_id,
        "version": record.version,
        "conversation_id": record.conversation_id[:200],
        "end_user_id": record.end_user_id[:200],
        "channel": record.channel[:200],
        "environment": record.environment,
        "deployment_id": record.deployment_id[:200],
        "model": record.model[:200],
        "provider": record.provider[:200],
        "intent": record.intent[:200],
        "outcome": record.outcome,
        "cache_kind": record.cache_kind,
        "latency_ms": round(min(max(record.latency_ms, 0.0), 3_600_000.0), 3),
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "cost_usd": round(max(record.cost_usd, 0.0), 8),
        "user_message": mask_text(record.user_message)[:MAX_TEXT],
        "reply": mask_text(record.reply)[:MAX_TEXT],
        "key_id": record.key_id,
        "extra": record.extra,
    }
    raw = {"type": LOGS_TOPIC, "source": "chat", "payload": payload}
    return validate_event(raw, str(record.tenant_id), fresh_id=True).model_dump()


def emit_turn(record: TurnRecord) -> None:
    batcher().emit(LOGS_TOPIC, str(record.tenant_id), turn_envelope(record))


def handoff_envelope(
    tenant_id: uuid.UUID,
    agent_id: str,
    version: int,
    environment: str,
    *,
    conversation_id: str,
    reason: str,
    queue: str,
    transcript: list[dict[str, str]],
    end_user_id: str = "",
    channel: str = "api",
    deployment_id: str = "",
) -> dict[str, Any]:
    masked = [{"role": t["role"], "content": mask_text(t["content"])[:4000]} for t in transcript[-20:]]
    raw = {
        "type": AGENT_TOPIC,
        "source": "chat",
        "payload": {
            "agent_id": agent_id,
            "kind": "handoff.requested",
            "version": version,
            "environment": environment,
            "details": {
                "conversation_id": conversation_id,
                "reason": reason,
                "target_queue": queue,
                "end_user_id": end_user_id,
                "channel": channel,
                "deployment_id": deployment_id,
                "transcript": masked,
            },
        },
    }
    return validate_event(raw, str(tenant_id), fresh_id=True).model_dump()


def emit_handoff(tenant_id: uuid.UUID, envelope: dict[str, Any]) -> None:
    batcher().emit(AGENT_TOPIC, str(tenant_id), envelope)
