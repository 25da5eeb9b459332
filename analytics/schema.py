"""Versioned ClickHouse migrations, applied idempotently at start.

Each migration is a list of statements; applied versions are recorded in
``schema_migrations`` so a restart re-applies nothing. Timestamps are ``DateTime64``
because chDB returns plain ``DateTime`` as integer seconds through Arrow.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from core import clickhouse, event_record
from core.channels import LEGACY_CHANNELS
from core.config import get_settings

log = logging.getLogger(__name__)


_COLUMN_INDENT = " " * 20


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]
    data: Callable[[str], object] | None = None  # a data step after the statements, given the database


def _migrations(db: str, retention_days: int) -> list[Migration]:
    return [
        Migration(
            1,
            "raw events",
            (
                f"""
                CREATE TABLE IF NOT EXISTS {db}.events
                (
{event_record.ddl_columns(_COLUMN_INDENT)}
                )
                ENGINE = ReplacingMergeTree
                PARTITION BY toDate(ts)
                ORDER BY (tenant_id, agent_id, ts, event_id)
                TTL toDateTime(ts) + INTERVAL {retention_days} DAY
                """,
            ),
        ),
        Migration(
            2,
            "insert dedup, rollups, dead letters",
            (
                # Redelivered batches are re-inserted with the same insert_deduplication_token; the
                # window must cover every batch that can still be in flight.
                f"ALTER TABLE {db}.events MODIFY SETTING non_replicated_deduplication_window = 10000",
                f"ALTER TABLE {db}.events ADD INDEX IF NOT EXISTS idx_conversation conversation_id "
                "TYPE bloom_filter(0.01) GRANULARITY 4",
                f"""
                CREATE TABLE IF NOT EXISTS {db}.rollup_1m
                (
                    tenant_id UUID,
                    minute DateTime('UTC'),
                    agent_id String,
                    version UInt32,
                    events SimpleAggregateFunction(sum, UInt64),
                    errors SimpleAggregateFunction(sum, UInt64),
                    handoffs SimpleAggregateFunction(sum, UInt64),
                    contained SimpleAggregateFunction(sum, UInt64),
                    cache_hits SimpleAggregateFunction(sum, UInt64),
                    prompt_tokens SimpleAggregateFunction(sum, UInt64),
                    completion_tokens SimpleAggregateFunction(sum, UInt64),
                    cost_usd SimpleAggregateFunction(sum, Float64),
                    csat_sum SimpleAggregateFunction(sum, UInt64),
                    csat_count SimpleAggregateFunction(sum, UInt64),
                    latency AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float32),
                    conversations AggregateFunction(uniq, String)
                )
                ENGINE = AggregatingMergeTree
                PARTITION BY toYYYYMM(minute)
                ORDER BY (tenant_id, minute, agent_id, version)
                TTL minute + INTERVAL {retention_days} DAY
                SETTINGS non_replicated_deduplication_window = 10000
                """,
                f"""
                CREATE TABLE IF NOT EXISTS {db}.rollup_1h
                (
                    tenant_id UUID,
                    hour DateTime('UTC'),
                    agent_id String,
                    version UInt32,
                    model LowCardinality(String),
                    provider LowCardinality(String),
                    channel LowCardinality(String),
                    intent LowCardinality(String),
                    events SimpleAggregateFunction(sum, UInt64),
                    errors SimpleAggregateFunction(sum, UInt64),
                    handoffs SimpleAggregateFunction(sum, UInt64),
                    contained SimpleAggregateFunction(sum, UInt64),
                    cache_hits SimpleAggregateFunction(sum, UInt64),
                    prompt_tokens SimpleAggregateFunction(sum, UInt64),
                    completion_tokens SimpleAggregateFunction(sum, UInt64),
                    cost_usd SimpleAggregateFunction(sum, Float64),
                    csat_sum SimpleAggregateFunction(sum, UInt64),
                    csat_count SimpleAggregateFunction(sum, UInt64),
                    latency AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float32),
                    conversations AggregateFunction(uniq, String)
                )
                ENGINE = AggregatingMergeTree
                PARTITION BY toYYYYMM(hour)
                ORDER BY (tenant_id, hour, agent_id, version, model, provider, channel, intent)
                TTL hour + INTERVAL {retention_days} DAY
                SETTINGS non_replicated_deduplication_window = 10000
                """,
                _rollup_view(db, "rollup_1m", "toStartOfMinute(ts) AS minute", "minute, agent_id, version"),
                _rollup_view(
                    db,
                    "rollup_1h",
                    "toStartOfHour(ts) AS hour, model, provider, channel, intent",
                    "hour, agent_id, version, model, provider, channel, intent",
                ),
                f"""
                CREATE TABLE IF NOT EXISTS {db}.dead_letters
                (
                    id UUID,
                    tenant_id String,
                    received_at DateTime64(3, 'UTC'),
                    source LowCardinality(String),
                    type String,
                    reason String,
                    raw String CODEC(ZSTD(3))
                )
                ENGINE = ReplacingMergeTree
                PARTITION BY toYYYYMM(received_at)
                ORDER BY (tenant_id, received_at, id)
                TTL toDateTime(received_at) + INTERVAL 30 DAY
                SETTINGS non_replicated_deduplication_window = 1000
                """,
            ),
        ),
        Migration(
            3,
            "narrow hourly rollups per dimension",
            tuple(
                statement
                for name, dims in NARROW_ROLLUPS.items()
                for statement in _narrow_rollup(db, name, dims, retention_days)
            ),
        ),
        Migration(4, "one channel vocabulary (twilio -> sms, web_widget -> web)", (), unify_channels),
        # 5 is the exactly-once work (a separate change); this one touches only the new columns.
        Migration(
            6,
            "turns carry their environment and deployment; hourly rollup per environment",
            (
                *_add_event_columns(db, SERVED_IN_COLUMNS),
                *(
                    statement
                    for name, dims in ENVIRONMENT_ROLLUPS.items()
                    # table and view only: see ENVIRONMENT_ROLLUPS for why nothing is backfilled
                    for statement in _narrow_rollup(db, name, dims, retention_days)[:2]
                ),
            ),
        ),
    ]


# Where a turn was served (migration 6). Rows written before have "" (unknown environment):
# they count in all-environment figures and never in a per-environment figure or verdict
# (core/environments.py); nothing is backfilled, because which environment served an old
# turn cannot be known from the row.
SERVED_IN_COLUMNS: tuple[str, ...] = ("environment", "deployment_id")


# Per-environment figures of an agent and its versions (rollout KPIs, the console's version
# charts) at hour or coarser. Read only for one named environment; rows written before
# migration 6 have none (""), so there is nothing to backfill, and the table starts empty
# rather than racing the view with an INSERT ... SELECT over rows it may already have seen.
ENVIRONMENT_ROLLUPS: dict[str, tuple[str, ...]] = {"rollup_1h_env": ("environment", "agent_id", "version")}


def _add_event_columns(db: str, names: tuple[str, ...]) -> tuple[str, ...]:
    """``ADD COLUMN IF NOT EXISTS`` for columns of :class:`core.event_record.EventRecord`, each
    placed after its predecessor in the record so an upgraded table has a new install's column
    order (a no-op on a new install, whose migration 1 already made them)."""
    order = [c.name for c in event_record.COLUMNS]
    return tuple(
        f"ALTER TABLE {db}.events ADD COLUMN IF NOT EXISTS {event_record.BY_NAME[name].ddl()} "
        f"AFTER {order[order.index(name) - 1]}"
        for name in names
    )


# Dashboards mostly split by one dimension at a time. Hourly tables keyed by just that
# dimension hold a few thousand rows per tenant-week instead of the full cross product of
# rollup_1h, which keeps every panel's merge of quantile and uniq states small.
NARROW_ROLLUPS: dict[str, tuple[str, ...]] = {
    "rollup_1h_agent": ("agent_id", "version"),
    "rollup_1h_model": ("model", "provider"),
    "rollup_1h_channel": ("channel",),
    "rollup_1h_intent": ("intent",),
}
_METRIC_COLUMNS = """
                    events SimpleAggregateFunction(sum, UInt64),
                    errors SimpleAggregateFunction(sum, UInt64),
                    handoffs SimpleAggregateFunction(sum, UInt64),
                    contained SimpleAggregateFunction(sum, UInt64),
                    cache_hits SimpleAggregateFunction(sum, UInt64),
                    prompt_tokens SimpleAggregateFunction(sum, UInt64),
                    completion_tokens SimpleAggregateFunction(sum, UInt64),
                    cost_usd SimpleAggregateFunction(sum, Float64),
                    csat_sum SimpleAggregateFunction(sum, UInt64),
                    csat_count SimpleAggregateFunction(sum, UInt64),
                    latency AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float32),
                    conversations AggregateFunction(uniqHLL12, String)"""
_DIM_TYPES = {
    "environment": "LowCardinality(String)",
    "agent_id": "String",
    "version": "UInt32",
    "model": "LowCardinality(String)",
    "provider": "LowCardinality(String)",
    "channel": "LowCardinality(String)",
    "intent": "LowCardinality(String)",
}


def _narrow_rollup(db: str, name: str, dims: tuple[str, ...], retention_days: int) -> tuple[str, ...]:
    """Table, view, and a backfill from ``events``.

    Unique conversations are kept as HyperLogLog (``uniqHLL12``, ~1.6 % error): merging a
    week of exact ``uniq`` states cost ~100 ms per panel at 100M events, HLL registers merge
    in a few.
    """
    dim_columns = ",\n".join(f"                    {d} {_DIM_TYPES[d]}" for d in dims)
    dim_list = ", ".join(dims)
    table = f"""
                CREATE TABLE IF NOT EXISTS {db}.{name}
                (
                    tenant_id UUID,
                    hour DateTime('UTC'),
{dim_columns},{_METRIC_COLUMNS}
                )
                ENGINE = AggregatingMergeTree
                PARTITION BY toYYYYMM(hour)
                ORDER BY (tenant_id, hour, {dim_list})
                TTL hour + INTERVAL {retention_days} DAY
                SETTINGS non_replicated_deduplication_window = 10000
                """
    view = (
        _rollup_view(db, name, f"toStartOfHour(ts) AS hour, {dim_list}", f"hour, {dim_list}")
        .replace("            agent_id,\n            version,\n", "")
        .replace("uniqState(conversation_id)", "uniqHLL12State(conversation_id)")
    )
    backfill = view.split(" AS\n", 1)[1].join([f"INSERT INTO {db}.{name}\n", ""])
    return table, view, backfill


def _rollup_view(db: str, target: str, time_and_dims: str, group_by: str) -> str:
    """A materialized view feeding a rollup from every insert into ``events``.

    A view sees every insert into ``events``, even one that table then drops as a duplicate;
    the rollup tables therefore keep their own deduplication window, and the view's insert
    carries a token derived from the source insert's, so a redelivered batch is dropped here
    too and never counted twice. (A single *event* sent twice in different batches never
    reaches the view a second time: the ingest dedup window drops it first, ``ingest.dedup``.)
    """
    return f"""
        CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.mv_{target} TO {db}.{target} AS
        SELECT
            tenant_id,
            {time_and_dims},
            agent_id,
            version,
            count() AS events,
            sum(is_error) AS errors,
            sum(is_handoff) AS handoffs,
            countIf(outcome = 'answered') AS contained,
            countIf(cache_kind IN ('exact', 'semantic')) AS cache_hits,
            sum(prompt_tokens) AS prompt_tokens,
            sum(completion_tokens) AS completion_tokens,
            sum(cost_usd) AS cost_usd,
            sum(ifNull(csat, 0)) AS csat_sum,
            countIf(csat IS NOT NULL) AS csat_count,
            quantilesTDigestState(0.5, 0.95, 0.99)(latency_ms) AS latency,
            uniqState(conversation_id) AS conversations
        FROM {db}.events
        WHERE type = 'conversation.logs'
        GROUP BY tenant_id, {group_by}
    """


@dataclass(frozen=True)
class Rollup:
    """A rollup table as reconciliation sees it: its time column and bucket function, and the
    SELECT its materialized view runs (so a rebuild computes exactly what the view would)."""

    name: str
    time_column: str
    bucket: str  # ClickHouse function of ``ts`` giving the row's time bucket
    uniq: str  # the uniq function whose state ``conversations`` holds


def _view_for(db: str, name: str) -> str:
    if name == "rollup_1m":
        return _rollup_view(db, name, "toStartOfMinute(ts) AS minute", "minute, agent_id, version")
    if name == "rollup_1h":
        return _rollup_view(
            db,
            name,
            "toStartOfHour(ts) AS hour, model, provider, channel, intent",
            "hour, agent_id, version, model, provider, channel, intent",
        )
    dims = NARROW_ROLLUPS.get(name) or ENVIRONMENT_ROLLUPS[name]
    return _narrow_rollup(db, name, dims, 1)[1]


# Every rollup ``va analytics verify`` reconciles against the raw events. On an installation
# upgraded to migration 6, rollup_1h_env lacks the older buckets (it is not backfilled): verify
# reports them and ``--repair`` fills them, under the unknown environment "".
ROLLUPS: tuple[Rollup, ...] = (
    Rollup("rollup_1m", "minute", "toStartOfMinute", "uniq"),
    Rollup("rollup_1h", "hour", "toStartOfHour", "uniq"),
    *(Rollup(name, "hour", "toStartOfHour", "uniqHLL12") for name in NARROW_ROLLUPS),
    *(Rollup(name, "hour", "toStartOfHour", "uniqHLL12") for name in ENVIRONMENT_ROLLUPS),
)


def rollup_select(db: str, name: str, source: str) -> str:
    """The SELECT of rollup ``name``'s view, reading ``source`` (a table or a parenthesised
    subquery with the ``events`` columns) instead of ``events``."""
    select = _view_for(db, name).split(" AS\n", 1)[1]
    return select.replace(f"FROM {db}.events\n", f"FROM {source}\n", 1)


# Rollups keyed by channel (``rollup_1m`` has no channel).
CHANNEL_ROLLUPS: tuple[str, ...] = (
    "rollup_1h",
    *(name for name, dims in NARROW_ROLLUPS.items() if "channel" in dims),
)


def _in_list(values: list[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def unify_channels(db: str) -> dict[str, int]:
    """Rewrite the channel values older producers reported (connector kinds such as
    ``twilio``, ``web_widget``) to their channel (``sms``, ``web``) in the raw events and in
    every rollup keyed by channel; returns the rows found per table. Idempotent, and a
    no-op (one count per table) when no such row exists.

    * ``events``: a mutation (``ALTER TABLE ... UPDATE``), only when such rows exist.
      Mutations do not pass through materialized views, so nothing is counted twice.
    * Rollups: ``channel`` is part of their sorting key, which ClickHouse cannot ``UPDATE``.
      The affected rows are re-inserted re-keyed (``SELECT * REPLACE``: aggregate states
      copied as they are) and the old rows deleted; the AggregatingMergeTree then merges
      them into the rows already under the new value, and every query merges states by
      key anyway. This was chosen over rebuilding the affected monthly partitions from
      ``events`` because it touches only the legacy rows (a rebuild reads a month of every
      tenant's traffic) and cannot race ingestion (the views keep inserting into a
      partition while it is rebuilt, and those rows would be counted twice).
    * A crash between a re-insert and its delete: the re-insert carries a deduplication
      token derived from the legacy rows (their event total and hour range), so running
      again re-inserts nothing while the delete completes. Legacy rows written later (only
      an ingest worker of an older release can: today's processors normalise) give another
      token, and calling this again moves them.
    """
    old = sorted(LEGACY_CHANNELS)
    new = [LEGACY_CHANNELS[v].value for v in old]
    where = f"channel IN {_in_list(old)}"
    mapped = f"transform(channel, {_in_list(old)}, {_in_list(new)}, channel)"
    found: dict[str, int] = {}
    rows = clickhouse.query_rows(f"SELECT count() FROM {db}.events WHERE {where}")
    found["events"] = int(rows[0][0])
    if found["events"]:
        with clickhouse.locked_client() as client:
            client.command(
                f"ALTER TABLE {db}.events UPDATE channel = {mapped} WHERE {where}", settings={"mutations_sync": 2}
            )
    for table in CHANNEL_ROLLUPS:
        count, events, first, last = clickhouse.query_rows(
            f"SELECT count(), sum(events), toUnixTimestamp(min(hour)), toUnixTimestamp(max(hour)) "
            f"FROM {db}.{table} WHERE {where}"
        )[0]
        found[table] = int(count)
        if not count:
            continue
        token = f"unify-channels:{table}:{events}:{first}:{last}"
        with clickhouse.locked_client() as client:
            client.command(
                # The filter sits in a subquery: in the outer SELECT, "channel" is already the new value.
                f"INSERT INTO {db}.{table} SELECT * REPLACE ({mapped} AS channel) "
                f"FROM (SELECT * FROM {db}.{table} WHERE {where})",
                settings={"insert_deduplicate": 1, "insert_deduplication_token": token},
            )
            client.command(f"ALTER TABLE {db}.{table} DELETE WHERE {where}", settings={"mutations_sync": 2})
    if any(found.values()):
        log.info("rewrote legacy channel values", extra={"rows": found})
    return found


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
        if migration.data is not None:
            migration.data(db)
        clickhouse.insert(f"{db}.schema_migrations", [[migration.version, migration.name]], ["version", "name"])
        log.info("applied clickhouse migration %s (%s)", migration.version, migration.name)
        applied.append(migration.version)
    return applied


def schema_version() -> int:
    db = get_settings().clickhouse.database
    rows = clickhouse.query_rows(f"SELECT max(version) FROM {db}.schema_migrations")
    return int(rows[0][0] or 0)
