"""LLM traffic of one tenant by model, for cost what-ifs (``POST /api/v1/llm/optimize``).

Token and cost sums come from ``rollup_1h`` (one row per hour and model, cheap over weeks).
A sample of raw user messages lets the optimiser estimate how much of the traffic the
complexity classifier would send to a large model; the raw table is ordered by tenant and
time, and the sample is capped.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from core import clickhouse
from core.config import get_settings

USAGE_COLUMNS = ("model", "provider", "events", "prompt_tokens", "completion_tokens", "cost_usd")


def _params(tenant_id: str, start: dt.datetime, end: dt.datetime) -> dict[str, object]:
    return {
        "tenant": tenant_id,
        "start": start.astimezone(dt.UTC).replace(tzinfo=None),
        "end": end.astimezone(dt.UTC).replace(tzinfo=None),
    }


def model_usage(tenant_id: str, start: dt.datetime, end: dt.datetime) -> pl.DataFrame:
    """Calls, tokens and cost per (model, provider), largest cost first; cache hits excluded."""
    db = get_settings().clickhouse.database
    sql = f"""
        SELECT model, provider,
               sum(events) - sum(cache_hits) AS events,
               sum(prompt_tokens) AS prompt_tokens,
               sum(completion_tokens) AS completion_tokens,
               sum(cost_usd) AS cost_usd
        FROM {db}.rollup_1h
        WHERE tenant_id = {{tenant:UUID}}
          AND hour >= {{start:DateTime('UTC')}} AND hour < {{end:DateTime('UTC')}}
          AND model != ''
        GROUP BY model, provider
        ORDER BY cost_usd DESC, model
    """
    arrow = clickhouse.query_arrow(
        sql, _params(tenant_id, start, end), tags={"feature": "llm", "kind": "optimize_usage", "table": "rollup_1h"}
    )
    frame = pl.from_arrow(arrow)
    assert isinstance(frame, pl.DataFrame)
    if frame.is_empty():
        return pl.DataFrame(schema={c: (pl.Utf8 if c in ("model", "provider") else pl.Float64) for c in USAGE_COLUMNS})
    return frame


def sample_user_messages(tenant_id: str, start: dt.datetime, end: dt.datetime, limit: int = 2000) -> list[str]:
    """Up to ``limit`` recent user messages (for the complexity share)."""
    db = get_settings().clickhouse.database
    sql = f"""
        SELECT JSONExtractString(payload, 'user_message') AS message
        FROM {db}.events
        WHERE tenant_id = {{tenant:UUID}} AND type = 'conversation.logs'
          AND ts >= {{start:DateTime('UTC')}} AND ts < {{end:DateTime('UTC')}}
          AND message != ''
        ORDER BY ts DESC
        LIMIT {{limit:UInt32}}
    """
    params = {**_params(tenant_id, start, end), "limit": limit}
    rows = clickhouse.query_rows(sql, params, tags={"feature": "llm", "kind": "optimize_sample", "table": "events"})
    return [str(r[0]) for r in rows]
