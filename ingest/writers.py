"""Batch writers: one columnar (Arrow) insert per batch into ClickHouse.

Every insert carries an ``insert_deduplication_token``: a redelivered batch is re-inserted
with the token it had the first time, and ClickHouse (and the rollup views behind the
table) drop it as a duplicate. That is what makes at-least-once delivery count once.
"""

from __future__ import annotations

import pyarrow as pa

from core import clickhouse
from core.config import get_settings
from ingest.processors import DeadLetter, InsertBatch

EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("tenant_id", pa.string()),
        ("type", pa.string()),
        ("ts", pa.timestamp("ms", tz="UTC")),
        ("source", pa.string()),
        ("agent_id", pa.string()),
        ("version", pa.uint32()),
        ("conversation_id", pa.string()),
        ("end_user_id", pa.string()),
        ("channel", pa.string()),
        ("model", pa.string()),
        ("provider", pa.string()),
        ("intent", pa.string()),
        ("outcome", pa.string()),
        ("cache_kind", pa.string()),
        ("latency_ms", pa.float32()),
        ("prompt_tokens", pa.uint32()),
        ("completion_tokens", pa.uint32()),
        ("cost_usd", pa.float64()),
        ("csat", pa.uint8()),
        ("is_error", pa.uint8()),
        ("is_handoff", pa.uint8()),
        ("payload", pa.string()),
    ]
)


def _dedup_settings(token: str) -> dict[str, object]:
    return {
        "insert_deduplicate": 1,
        "insert_deduplication_token": token,
        "deduplicate_blocks_in_dependent_materialized_views": 1,
    }


def to_arrow(batch: InsertBatch) -> pa.Table:
    return pa.table(
        {name: pa.array(batch.columns[name], type=EVENT_SCHEMA.field(name).type) for name in EVENT_SCHEMA.names}
    )


def write_events(batch: InsertBatch, token: str) -> None:
    if batch.rows == 0:
        return
    db = get_settings().clickhouse.database
    table = to_arrow(batch)
    with clickhouse.locked_client() as client:
        client.insert_arrow(f"{db}.events", table, settings=_dedup_settings(token))


def write_events_arrow(table: pa.Table, token: str) -> None:
    """The fast path's table, already in ``EVENT_SCHEMA`` column order."""
    if table.num_rows == 0:
        return
    db = get_settings().clickhouse.database
    with clickhouse.locked_client() as client:
        client.insert_arrow(f"{db}.events", table, settings=_dedup_settings(token))


def write_dead_letters(letters: list[DeadLetter], token: str) -> None:
    if not letters:
        return
    db = get_settings().clickhouse.database
    rows = [[d.id, d.tenant_id, d.received_at, d.source, d.type, d.reason, d.raw] for d in letters]
    with clickhouse.locked_client() as client:
        client.insert(
            f"{db}.dead_letters",
            rows,
            column_names=["id", "tenant_id", "received_at", "source", "type", "reason", "raw"],
            settings=_dedup_settings(token + ":dl"),
        )
