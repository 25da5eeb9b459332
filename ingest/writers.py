"""Batch writers: one columnar (Arrow) insert per batch into ClickHouse.

Every insert carries an ``insert_deduplication_token``: a redelivered batch is re-inserted
with the token it had the first time, and ClickHouse (and the rollup views behind the
table) drop it as a duplicate. That is what makes at-least-once delivery count once.
"""

from __future__ import annotations

import pyarrow as pa

from core import clickhouse, event_record
from core.config import get_settings
from ingest.processors import DeadLetter, InsertBatch

EVENT_SCHEMA = event_record.ARROW_SCHEMA


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
