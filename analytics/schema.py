"""Versioned ClickHouse migrations, applied idempotently at start.

Each migration is a list of statements; applied versions are recorded in
``schema_migrations`` so a restart re-applies nothing. Timestamps are ``DateTime64``
because chDB returns plain ``DateTime`` as integer seconds through Arrow.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core import clickhouse
from core.config import get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def _migrations(db: str, retention_days: int) -> list[Migration]:
    return [
        Migration(
            1,
            "raw events",
            (
                f"""
                CREATE TABLE IF NOT EXISTS {db}.events
                (
                    event_id UUID,
                    tenant_id UUID,
                    type LowCardinality(String),
                    ts DateTime64(3, 'UTC'),
                    received_at DateTime64(3, 'UTC') DEFAULT now64(3),
                    source LowCardinality(String) DEFAULT '',
                    agent_id String DEFAULT '',
                    version UInt32 DEFAULT 0,
                    conversation_id String DEFAULT '',
                    end_user_id String DEFAULT '',
                    channel LowCardinality(String) DEFAULT '',
                    model LowCardinality(String) DEFAULT '',
                    provider LowCardinality(String) DEFAULT '',
                    intent LowCardinality(String) DEFAULT '',
                    outcome LowCardinality(String) DEFAULT '',
                    cache_kind LowCardinality(String) DEFAULT '',
                    latency_ms Float32 DEFAULT 0,
                    prompt_tokens UInt32 DEFAULT 0,
                    completion_tokens UInt32 DEFAULT 0,
                    cost_usd Float64 DEFAULT 0,
                    csat Nullable(UInt8),
                    is_error UInt8 DEFAULT 0,
                    is_handoff UInt8 DEFAULT 0,
                    payload String DEFAULT '{{}}' CODEC(ZSTD(3))
                )
                ENGINE = ReplacingMergeTree
                PARTITION BY toDate(ts)
                ORDER BY (tenant_id, agent_id, ts, event_id)
                TTL toDateTime(ts) + INTERVAL {retention_days} DAY
                """,
            ),
        ),
    ]


def apply_schema() -> list[int]:
    """Create the database and apply pending migrations; returns the versions applied now."""
    settings = get_settings()
    db = settings.clickhouse.database
    clickhouse.command(f"CREATE DATABASE IF NOT EXISTS {db}")
    clickhouse.command(
        f"CREATE TABLE IF NOT EXISTS {db}.schema_migrations "
        "(version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) "
        "ENGINE = ReplacingMergeTree ORDER BY version"
    )
    done = {int(r[0]) for r in clickhouse.query_rows(f"SELECT version FROM {db}.schema_migrations")}
    applied: list[int] = []
    for migration in _migrations(db, settings.clickhouse.retention_days):
        if migration.version in done:
            continue
        for statement in migration.statements:
            clickhouse.command(statement)
        clickhouse.insert(f"{db}.schema_migrations", [[migration.version, migration.name]], ["version", "name"])
        log.info("applied clickhouse migration %s (%s)", migration.version, migration.name)
        applied.append(migration.version)
    return applied


def schema_version() -> int:
    db = get_settings().clickhouse.database
    rows = clickhouse.query_rows(f"SELECT max(version) FROM {db}.schema_migrations")
    return int(rows[0][0] or 0)
