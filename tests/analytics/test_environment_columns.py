"""Migration 6 gives an installed ``events`` table the columns saying where a turn was served,
in the record's column order, and the rows written before keep the unknown environment ("")."""

from __future__ import annotations

import uuid

import pytest

from analytics import schema
from core import clickhouse, event_record

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
