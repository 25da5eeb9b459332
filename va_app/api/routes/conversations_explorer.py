"""The conversation explorer over HTTP: search conversations, fetch one transcript.

Reads raw events (the slow path by design), so a search is bounded to a time range (the
last 7 days by default, 93 days at most). Another tenant's conversation id answers 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from core.outcomes import EventOutcome
from va_app.api.deps import PrincipalDep
from va_app.api.schemas.conversations import ConversationsPublic
from va_app.domain.dashboards.explorer import ConversationSearch, conversation_transcript, search_conversations

router = APIRouter(prefix="/conversations", tags=["conversations"])


@router.get("", response_model=ConversationsPublic, summary="Search conversations (newest activity first)")
async def list_conversations(
    principal: PrincipalDep,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    q: Annotated[str | None, Query(max_length=200, description="text in a user message or reply")] = None,
    agent_id: Annotated[str | None, Query(max_length=200, description="the agent's id or slug")] = None,
    version: Annotated[int | None, Query(ge=0)] = None,
    channel: Annotated[str | None, Query(max_length=200)] = None,
    model: Annotated[str | None, Query(max_length=200)] = None,
    intent: Annotated[str | None, Query(max_length=200)] = None,
    outcome: EventOutcome | None = None,
    min_latency_ms: Annotated[float | None, Query(ge=0)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    tenant_id: Annotated[str | None, Query(description="superadmins only: another tenant")] = None,
) -> ConversationsPublic:
    filters = {
        "agent": agent_id,
        "version": version,
        "channel": channel,
        "model": model,
        "intent": intent,
        "outcome": outcome,
    }
    search = ConversationSearch(
        start=start,
        end=end,
        text=q,
        filters={k: v for k, v in filters.items() if v is not None},
        min_latency_ms=min_latency_ms,
        limit=limit,
    )
    rows = await search_conversations(principal, search, tenant_id=tenant_id)
    return ConversationsPublic(data=rows, count=len(rows))


@router.get("/{conversation_id}", summary="Transcript of one conversation: every turn with model, latency, cost")
async def get_conversation(
    conversation_id: Annotated[str, Path(max_length=200)],
    principal: PrincipalDep,
    around: Annotated[dt.datetime | None, Query(description="a time near the conversation (default now)")] = None,
) -> dict[str, Any]:
    return await conversation_transcript(principal, conversation_id, around)
