"""Migration 6 gives an installed ``events`` table the columns saying where a turn was served,
in the record's column order, and the rows written before keep the unknown environment ("");
the hourly rollup keyed by environment agrees with the raw events."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace

import pytest

from analytics import generator, schema
from analytics.queries import metrics as mq
from core import clickhouse, event_record
from core.environments import ENVIRONMENTS

pytestmark = pytest.mark.clickhouse


def test_migration_6_adds_environment_and_deployment_after_channel() -> None:
    db = f"va_up_{uuid.uuid4().hex[:8]}"
    old = [c for c in event_record.COLUMNS if c.name not in schema.SERVED_IN_COLUMNS]
    clickhouse.command(f"CREATE DATABASE {db}")
    try:
        clickhouse.command(
            f"CREATE TABLE {db}.events ({', '.join(c.ddl() for c in old)}) "
            "ENGINE = ReplacingMergeTree ORDER BY (tenant_id, agent_id, ts, event_id)"
        )
        clickhouse.command(
            f"INSERT INTO {db}.events (event_id, tenant_id, type, ts, agent_id, channel) VALUES "
            f"('{uuid.uuid4()}', '{uuid.uuid4()}', 'conversation.logs', now64(3), 'a1', 'web')"
        )
        migration = next(m for m in schema._migrations(db, 30) if m.version == 6)
        for _ in range(2):  # idempotent, like every statement of a migration
            for statement in migration.statements:
                clickhouse.command(statement)
        columns = clickhouse.query_rows(
            "SELECT name, type, default_expression FROM system.columns "
            "WHERE database = {db:String} AND table = 'events' ORDER BY position",
            {"db": db},
        )
        assert [tuple(r) for r in columns] == [(c.name, c.clickhouse, c.default) for c in event_record.COLUMNS]
        assert clickhouse.query_rows(f"SELECT environment, deployment_id FROM {db}.events") == [("", "")]
    finally:
        clickhouse.command(f"DROP DATABASE IF EXISTS {db}")


END = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("granularity", "dimension"), [("hour", None), ("total", "version"), ("day", None)])
def test_environment_rollup_matches_the_raw_events(granularity: str, dimension: str | None) -> None:
    tenant = str(uuid.uuid4())
    for environment, seed in (("production", 41), ("staging", 42), ("", 43)):  # "" = rows of unknown environment
        spec = generator.GeneratorSpec(
            tenants=[generator.TenantSpec(tenant, (generator.AgentSpec("a1", (1, 2)),))],
            events=3000,
            end=END,
            days=2,
            seed=seed,
            environment=environment,
        )
        for batch in generator.generate_batches(spec):
            generator.write_batch(batch)
    start = END - dt.timedelta(days=2)
    keys = ["bucket", *(["dimension"] if dimension else [])]
    totals = 0
    for environment in ENVIRONMENTS:
        query = mq.MetricQuery(tenant, start, END, granularity, dimension, {"agent": "a1"}, environment=environment)  # type: ignore[arg-type]
        assert mq.choose_table(query) == "rollup_1h_env"
        rolled = mq.metrics(query).sort(keys)
        raw = mq.metrics(replace(query, source="raw")).sort(keys)
        for column in ("events", "errors", "handoffs", "automated", "prompt_tokens", "csat_count"):
            assert rolled[column].to_list() == raw[column].to_list(), (environment, column)
        totals += int(rolled["events"].sum() or 0)
    assert totals == 6000  # production and staging; the unknown environment is in neither
    everything = mq.metrics(mq.MetricQuery(tenant, start, END, "total", None, {"agent": "a1"}))
    assert int(everything["events"].sum()) == 9000
    minute = mq.MetricQuery(tenant, END - dt.timedelta(hours=1), END, "minute", environment="staging")
    assert mq.choose_table(minute) == "events"  # the rollup is hourly
