"""The ``events`` row declared once: the DDL, insert schema and column groups derive from it."""

from __future__ import annotations

import datetime as dt
import uuid

import pyarrow as pa
import pytest

from core import event_record
from core.event_record import EventRecord
from core.events import ConversationLog


def test_ddl_lines_carry_types_defaults_and_codecs() -> None:
    lines = event_record.ddl_columns("").splitlines()
    assert lines[0] == "event_id UUID,"
    assert "received_at DateTime64(3, 'UTC') DEFAULT now64(3)," in lines
    assert "latency_ms Float32 DEFAULT 0," in lines
    assert "csat Nullable(UInt8)," in lines
    assert lines[-1] == "payload String DEFAULT '{}' CODEC(ZSTD(3))"
    assert len(lines) == len(event_record.COLUMNS)


def test_inserts_leave_the_server_column_out() -> None:
    assert "received_at" not in event_record.INSERT_COLUMNS
    assert event_record.ARROW_SCHEMA.names == list(event_record.INSERT_COLUMNS)
    assert event_record.ARROW_SCHEMA.field("ts").type == pa.timestamp("ms", tz="UTC")
    assert event_record.ENVELOPE_COLUMNS == ("event_id", "tenant_id", "type", "ts", "source")
    assert event_record.DERIVED_COLUMNS == ("is_error", "is_handoff")


def test_promoted_columns_are_fields_of_a_turn() -> None:
    assert set(event_record.PROMOTED_COLUMNS) <= set(ConversationLog.model_fields)


def test_values_follow_the_insert_order() -> None:
    ts = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    record = EventRecord(str(uuid.uuid4()), str(uuid.uuid4()), "conversation.logs", ts, channel="sms", csat=5)
    row = dict(zip(event_record.INSERT_COLUMNS, event_record.values(record), strict=True))
    assert row["ts"] == ts and row["channel"] == "sms" and row["csat"] == 5 and row["payload"] == "{}"


def test_arrow_table_orders_columns_and_refuses_what_is_not_the_row() -> None:
    n = 2
    columns = {
        "ts": pa.array([0, 1], pa.timestamp("ms", tz="UTC")),
        "event_id": pa.array([str(uuid.uuid4()) for _ in range(n)]),
        "tenant_id": pa.array([str(uuid.uuid4())] * n).dictionary_encode(),
        "type": pa.array(["conversation.logs"] * n),
    }
    table = event_record.arrow_table(columns)
    assert table.column_names == ["event_id", "tenant_id", "type", "ts"]
    with pytest.raises(ValueError, match="not columns"):
        event_record.arrow_table({**columns, "channel_name": pa.array(["web"] * n)})
    with pytest.raises(TypeError, match="version"):
        event_record.arrow_table({**columns, "version": pa.array([1, 2], pa.int64())})
    with pytest.raises(ValueError, match="needs ts"):
        event_record.arrow_table({k: v for k, v in columns.items() if k != "ts"})
