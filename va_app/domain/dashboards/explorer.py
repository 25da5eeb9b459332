"""The conversation explorer for people: search conversations, read one transcript.

Wraps :mod:`analytics.queries.explorer` with what the query layer does not know: who may
look (``analytics:read``), which tenant they see (their own; superadmins may name another),
sane defaults (the last 7 days) and readable errors. A conversation of another tenant is
simply not found, never "forbidden", so ids leak nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, SupportsFloat

import orjson
import polars as pl

from analytics.queries import explorer as eq
from core import clickhouse
from va_app.domain.agents.lookup import agent_filter_value, slugs_by_id
from va_app.domain.errors import InvalidInput, NotFound
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal

DEFAULT_RANGE = dt.timedelta(days=7)
MAX_RANGE = dt.timedelta(days=93)
# The explorer's public filter names -> the event columns they match.
FILTERS = {
    "agent": "agent_id",
    "version": "version",
    "channel": "channel",
    "model": "model",
    "provider": "provider",
    "intent": "intent",
    "outcome": "outcome",
    "cache_kind": "cache_kind",
}


@dataclass(frozen=True)
class ConversationSearch:
    """What a user asks the explorer; ``None`` means "no constraint"."""

    start: dt.datetime | None = None
    end: dt.datetime | None = None
    text: str | None = None
    filters: dict[str, str | int] = field(default_factory=dict)
    min_latency_ms: float | None = None
    limit: int = 50


def _tenant(principal: Principal, tenant_id: str | None) -> str:
    principal.require(Perm.ANALYTICS_READ)
    own = str(principal.tenant_id)
    if tenant_id and tenant_id != own:
        principal.require(Perm.PLATFORM_ADMIN)
        return tenant_id
    return own


def _query(tenant: str, search: ConversationSearch) -> eq.ExplorerQuery:
    end = (search.end or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    start = (search.start or end - DEFAULT_RANGE).astimezone(dt.UTC)
    if end <= start:
        raise InvalidInput("the end of the range must be after its start")
    if end - start > MAX_RANGE:
        raise InvalidInput(f"the explorer searches at most {MAX_RANGE.days} days at a time")
    unknown = set(search.filters) - set(FILTERS)
    if unknown:
        raise InvalidInput(f"unknown filters: {', '.join(sorted(unknown))}; known: {', '.join(FILTERS)}")
    filters = {FILTERS[k]: v for k, v in search.filters.items() if v not in (None, "")}
    text = (search.text or "").strip() or None
    return eq.ExplorerQuery(tenant, start, end, filters, text, search.min_latency_ms, max(1, min(search.limit, 500)))


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()
    return value


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: _iso(v) for k, v in row.items()} for row in frame.to_dicts()]


async def search_conversations(
    principal: Principal, search: ConversationSearch, tenant_id: str | None = None
) -> list[dict[str, Any]]:
    """Conversations matching the search, most recent activity first.

    The agent filter takes a slug or an id (events carry ids; people know slugs), and every
    row names its agent's slug next to the id.
    """
    tenant = _tenant(principal, tenant_id)
    slugs = await slugs_by_id(tenant)
    if search.filters.get("agent"):
        agent = agent_filter_value(str(search.filters["agent"]), slugs)
        search = replace(search, filters={**search.filters, "agent": agent})
    frame = await clickhouse.run(eq.search_conversations, _query(tenant, search))
    return [{**row, "agent_slug": slugs.get(str(row.get("agent_id")), "")} for row in _rows(frame)]


def _number(value: object) -> float:
    """A column aggregate (polars types it as any Python value); None (no values): 0."""
    if value is None:
        return 0.0
    if not isinstance(value, SupportsFloat):
        raise TypeError(f"not a number: {value!r}")
    return float(value)


def _turn(row: dict[str, Any]) -> dict[str, Any]:
    """One turn for people: the messages out of the payload, the rest as stored."""
    try:
        payload = orjson.loads(row.pop("payload", "") or "{}")
    except orjson.JSONDecodeError:
        payload = {}
    return {
        **{k: _iso(v) for k, v in row.items()},
        "user_message": str(payload.get("user_message", "")),
        "reply": str(payload.get("reply", "")),
    }


async def conversation_transcript(
    principal: Principal, conversation_id: str, around: dt.datetime | None = None, tenant_id: str | None = None
) -> dict[str, Any]:
    """Every turn of one conversation, oldest first, with totals.

    Raises:
        NotFound: No turn of this conversation exists for the tenant (including when it
            belongs to another tenant).
    """
    tenant = _tenant(principal, tenant_id)
    if not conversation_id or len(conversation_id) > 200:
        raise NotFound("conversation not found")
    frame = await clickhouse.run(eq.transcript, tenant, conversation_id, around)
    if frame.is_empty():
        raise NotFound(f"conversation '{conversation_id}' not found")
    turns = [_turn(row) for row in frame.to_dicts()]
    slugs = await slugs_by_id(tenant)
    return {
        "conversation_id": conversation_id,
        "agent_id": turns[0]["agent_id"],
        "agent_slug": slugs.get(str(turns[0]["agent_id"]), ""),
        "started": turns[0]["ts"],
        "last_turn": turns[-1]["ts"],
        "turns": turns,
        "totals": {
            "turns": len(turns),
            "cost_usd": round(_number(frame["cost_usd"].sum()), 6),
            "tokens": int(_number(frame["prompt_tokens"].sum()) + _number(frame["completion_tokens"].sum())),
            "latency_ms_avg": round(_number(frame["latency_ms"].mean()), 1),
        },
    }
