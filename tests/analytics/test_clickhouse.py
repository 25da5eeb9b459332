"""ClickHouse DDL, insert and query through clickhouse-connect (chDB in this process)."""

from __future__ import annotations

import datetime as dt
import uuid

import polars as pl
import pytest

from analytics import generator
from analytics.queries import platform as platform_queries
from analytics.schema import apply_schema, schema_version
from core import clickhouse

pytestmark = pytest.mark.clickhouse


def test_schema_is_idempotent() -> None:
    assert apply_schema() == []
    assert schema_version() >= 1
    columns = dict(
        clickhouse.query_rows("SELECT name, type FROM system.columns WHERE database='va' AND table='events'")
    )
    assert columns["ts"] == "DateTime64(3, 'UTC')"
    engine = clickhouse.query_rows(
        "SELECT engine, partition_key FROM system.tables WHERE database='va' AND name='events'"
    )
    assert engine[0][0] == "ReplacingMergeTree"
    assert "toDate(ts)" in engine[0][1]


def test_generated_events_insert_and_query_as_polars() -> None:
    tenant = str(uuid.uuid4())
    end = dt.datetime.now(dt.UTC)
    spec = generator.GeneratorSpec(
        tenants=[generator.TenantSpec(tenant, (generator.AgentSpec("agent-a", (1, 2)),))],
        events=5_000,
        end=end,
        days=2,
    )
    for batch in generator.generate_batches(spec, batch_size=2_000):
        generator.write_batch(batch)
    assert platform_queries.tenant_events_since(tenant, end - dt.timedelta(days=3)) == 5_000
    frame = pl.from_arrow(
        clickhouse.query_arrow(
            "SELECT ts, version, cost_usd FROM va.events WHERE tenant_id = {t:UUID} ORDER BY ts",
            {"t": tenant},
            tags={"feature": "test", "kind": "raw"},
        )
    )
    assert isinstance(frame, pl.DataFrame)
    assert frame.height == 5_000
    assert frame.schema["ts"] == pl.Datetime("ms", "UTC")
    assert set(frame["version"].unique().to_list()) <= {1, 2}
    assert frame["ts"].min() >= end - dt.timedelta(days=2, seconds=1)


def test_events_since_counts_only_recent() -> None:
    tenant = str(uuid.uuid4())
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=5)
    spec = generator.GeneratorSpec(
        tenants=[generator.TenantSpec(tenant, (generator.AgentSpec("a"),))], events=100, end=old, days=1
    )
    for batch in generator.generate_batches(spec):
        generator.write_batch(batch)
    assert platform_queries.tenant_events_since(tenant, old) == 0
    assert platform_queries.tenant_events_since(tenant, old - dt.timedelta(days=2)) == 100
