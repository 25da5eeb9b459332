"""The raw-event explorer: filter and page through individual turns and conversations.

This reads the raw ``events`` table (not rollups), so it is the slow path by design; the
sort key (tenant, agent, time) and partitioning by day keep a tenant's time-bounded scans
to a small slice of the table, and ``LIMIT 1 BY event_id`` hides rows a producer sent twice
without paying for ``FINAL``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from core import clickhouse, event_record
from core.channels import normalize_channel
from core.config import get_settings

# A turn as the explorer shows it: its id and time, then every promoted payload field.
EXPLORER_COLUMNS = ("event_id", "ts", *event_record.PROMOTED_COLUMNS)
# UUIDs come back through Arrow as 16 raw bytes; the explorer wants their text form.
_SELECT = tuple(f"toString({c}) AS {c}" if event_record.BY_NAME[c].base_type == "UUID" else c for c in EXPLORER_COLUMNS)
FILTERABLE = {
    "agent_id",
    "version",
    "channel",
    "model",
    "provider",
    "intent",
    "outcome",
    "cache_kind",
    "conversation_id",
}


@dataclass(frozen=True)
class ExplorerQuery:
    tenant_id: str
    start: dt.datetime
    end: dt.datetime
    filters: dict[str, str | int] = field(default_factory=dict)
    text: str | None = None  # substring of the (masked) user message or reply
    min_latency_ms: float | None = None
    limit: int = 100
    before: dt.datetime | None = None  # keyset paging: rows strictly older than this


def _where(q: ExplorerQuery, params: dict[str, object]) -> list[str]:
    params.update(
        {
            "tenant": q.tenant_id,
            "start": q.start.astimezone(dt.UTC).replace(tzinfo=None),
            "end": (q.before or q.end).astimezone(dt.UTC).replace(tzinfo=None),
        }
    )
    where = [
        "tenant_id = {tenant:UUID}",
        "ts >= {start:DateTime64(3)}",
        "ts < {end:DateTime64(3)}",
        "type = 'conversation.logs'",
    ]
    for i, (key, value) in enumerate(sorted(q.filters.items())):
        if key not in FILTERABLE:
            raise ValueError(f"cannot filter on '{key}'")
        kind = event_record.BY_NAME[key].base_type
        where.append(f"{key} = {{f{i}:{kind}}}")
        if kind == "String":
            params[f"f{i}"] = normalize_channel(str(value)) if key == "channel" else str(value)
        else:
            params[f"f{i}"] = int(value)
    if q.text:
        where.append("positionCaseInsensitiveUTF8(payload, {text:String}) > 0")
        params["text"] = q.text
    if q.min_latency_ms is not None:
        where.append("latency_ms >= {min_latency:Float32}")
        params["min_latency"] = q.min_latency_ms
    return where


def search_turns(q: ExplorerQuery) -> pl.DataFrame:
    """Newest turns first, each with its model, latency, tokens, cost and cache kind."""
    db = get_settings().clickhouse.database
    params: dict[str, object] = {"limit": max(1, min(q.limit, 1000))}
    sql = f"""
        SELECT {", ".join(_SELECT)}, payload
        FROM {db}.{event_record.TABLE}
        WHERE {" AND ".join(_where(q, params))}
        ORDER BY ts DESC
        LIMIT 1 BY event_id
        LIMIT {{limit:UInt32}}
    """
    frame = pl.from_arrow(clickhouse.query_arrow(sql, params, tags={"feature": "explorer", "kind": "turns"}))
    assert isinstance(frame, pl.DataFrame)
    return frame


def search_conversations(q: ExplorerQuery) -> pl.DataFrame:
    """One row per conversation matching the filters: when, how long, how it ended, what it cost."""
    db = get_settings().clickhouse.database
    params: dict[str, object] = {"limit": max(1, min(q.limit, 1000))}
    sql = f"""
        SELECT
            conversation_id,
            any(agent_id) AS agent_id,
            max(version) AS version,
            any(channel) AS channel,
            min(ts) AS started,
            max(ts) AS last_turn,
            count() AS turns,
            argMax(outcome, ts) AS last_outcome,
            sum(is_handoff) > 0 AS handed_off,
            sum(is_error) AS errors,
            sum(cost_usd) AS cost_usd,
            avg(latency_ms) AS avg_latency_ms
        FROM (
            -- each turn once, like the turn listing: a copy of an event not yet merged away
            -- (or stored before the ingest dedup window existed) must not add a turn or cost
            SELECT event_id, conversation_id, agent_id, version, channel, ts, outcome,
                   is_handoff, is_error, cost_usd, latency_ms
            FROM {db}.events
            WHERE {" AND ".join(_where(q, params))}
            LIMIT 1 BY event_id
        )
        GROUP BY conversation_id
        ORDER BY last_turn DESC
        LIMIT {{limit:UInt32}}
    """
    # The output aliases (agent_id, version, channel) reuse column names: make WHERE filter the columns.
    arrow = clickhouse.query_arrow(
        sql,
        params,
        tags={"feature": "explorer", "kind": "conversations"},
        settings={"prefer_column_name_to_alias": 1},
    )
    frame = pl.from_arrow(arrow)
    assert isinstance(frame, pl.DataFrame)
    return frame


def transcript(tenant_id: str, conversation_id: str, around: dt.datetime | None = None) -> pl.DataFrame:
    """Every turn of one conversation in order (bounded to 30 days around ``around`` so the
    scan stays within a few daily partitions)."""
    center = around or dt.datetime.now(dt.UTC)
    q = ExplorerQuery(
        tenant_id,
        center - dt.timedelta(days=30),
        center + dt.timedelta(days=1),
        filters={"conversation_id": conversation_id},
        limit=1000,
    )
    return search_turns(q).sort("ts")
