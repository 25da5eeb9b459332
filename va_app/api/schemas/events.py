"""Wire schemas of ``POST /analytics/events`` (event ingestion)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.dataclasses import dataclass

from va_app.domain.ingestion.service import Rejection


@dataclass
class RejectionPublic(Rejection):
    pass


# The domain's ``IngestResult`` is an accumulator (every field defaults); the answer has them all.
class IngestAccepted(BaseModel):
    accepted: int
    rejected: int
    event_ids: list[str]
    errors: list[RejectionPublic]


EXAMPLE: dict[str, Any] = {
    "events": [
        {
            "type": "conversation.logs",
            "ts": "2026-11-26T10:00:00Z",
            "payload": {
                "agent_id": "aurora-concierge",
                "version": 2,
                "conversation_id": "c-123",
                "channel": "web",
                "environment": "production",
                "model": "gpt-4o-mini",
                "provider": "openai",
                "intent": "check_in_time",
                "outcome": "answered",
                "latency_ms": 420,
                "prompt_tokens": 310,
                "completion_tokens": 42,
                "cost_usd": 0.00007,
            },
        }
    ]
}
