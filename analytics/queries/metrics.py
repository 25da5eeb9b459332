"""Conversation KPIs by time bucket and dimension, from the rollups (or the raw table).

Every query is tenant-scoped, tagged, and uses bound parameters only. Which table answers
is decided here, so callers just say what they want:

* minute (or 5-minute) buckets with no model/channel/intent split -> ``rollup_1m``;
* everything else at hour or coarser -> ``rollup_1h``;
* minute buckets split by model/channel/intent, or ``source="raw"`` -> ``events`` (slow path,
  also what the benchmark compares against);
* one environment's figures (``environment`` set): split or filtered by agent and version
  only, at hour or coarser -> ``rollup_1h_env``; anything else (minute buckets, short
  unaligned totals, other dimensions) -> ``events``. Without ``environment`` every turn
  counts, including those that did not say where they were served.

What each figure means is defined once in ``va_app/domain/dashboards/kpis.py``. Counts form a
hierarchy (turns >= contained >= automated; turns >= conversations >= active conversations)
that every row respects. Distinct conversations are the one figure the rollups can only
estimate (uniq/HLL states can land above the turn count: 939 conversations next to 920
turns), so the summary counts them exactly from the raw turns of its window when that window
holds at most :data:`EXACT_DISTINCT_MAX_TURNS` turns, and otherwise keeps the estimate within
its bounds (never above the turns, never below the exactly counted active conversations).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Literal, TypeGuard, get_args

import polars as pl

from core import clickhouse
from core.config import get_settings
from core.environments import ENVIRONMENTS

Granularity = Literal["minute", "5min", "hour", "day", "week", "total"]
Dimension = Literal["agent", "version", "model", "provider", "channel", "intent"]
Source = Literal["auto", "rollup", "raw"]


def is_granularity(value: str) -> TypeGuard[Granularity]:
    return value in get_args(Granularity)


def is_dimension(value: str) -> TypeGuard[Dimension]:
    return value in get_args(Dimension)


DIMENSION_COLUMNS: dict[str, str] = {
    "agent": "agent_id",
    "version": "version",
    "model": "model",
    "provider": "provider",
    "channel": "channel",
    "intent": "intent",
}
_HOURLY_ONLY = {"model", "provider", "channel", "intent"}
_BUCKET = {
    "minute": "toStartOfMinute({t})",
    "5min": "toStartOfFiveMinutes({t})",
    "hour": "toStartOfHour({t})",
    "day": "toStartOfDay({t})",
    "week": "toMonday({t})",
    "total": "toDateTime({{start:DateTime('UTC')}}, 'UTC')",
}
MAX_POINTS = 5000
SHORT_RANGE = dt.timedelta(hours=6)
# Up to this many turns in a summary's window, its conversations are counted exactly from the
# raw table (uniqExact over the tenant's slice costs about as much as the rollup totals at ~10k
# turns and grows with the turns); beyond, the rollups' estimate keeps the panel fast.
EXACT_DISTINCT_MAX_TURNS = 50_000
ACTIVE_WINDOW = dt.timedelta(minutes=15)  # an active conversation had a turn this recently
# 5-minute series feed anomaly detection, whose seasonal baseline needs weeks of history.
MAX_POINTS_BY_GRANULARITY: dict[str, int] = {"5min": 10_080}


class QueryError(ValueError):
    """A request the query layer cannot answer (bad range, too many points)."""


@dataclass(frozen=True)
class MetricQuery:
    tenant_id: str
    start: dt.datetime
    end: dt.datetime
    granularity: Granularity = "hour"
    dimension: Dimension | None = None
    filters: dict[str, str | int] = field(default_factory=dict)
    source: Source = "auto"
    limit_groups: int = 50
    environment: str | None = None  # one of core.environments.ENVIRONMENTS; None = every turn

    def validate(self) -> None:
        if self.end <= self.start:
            raise QueryError("end must be after start")
        if self.environment is not None and self.environment not in ENVIRONMENTS:
            raise QueryError(f"unknown environment '{self.environment}'; known: {', '.join(ENVIRONMENTS)}")
        span = (self.end - self.start).total_seconds()
        step = {"minute": 60, "5min": 300, "hour": 3600, "day": 86400, "week": 604800, "total": span}[self.granularity]
        max_points = MAX_POINTS_BY_GRANULARITY.get(self.granularity, MAX_POINTS)
        if span / step > max_points:
            raise QueryError(f"{self.granularity} buckets over this range give more than {max_points} points")
        for key in self.filters:
            if key not in DIMENSION_COLUMNS:
                raise QueryError(f"unknown filter '{key}'")


# Hourly rollups keyed by one dimension (analytics/schema.py migration 3), smallest first.
NARROW_TABLES: tuple[tuple[str, set[str]], ...] = (
    ("rollup_1h_agent", {"agent", "version"}),
    ("rollup_1h_channel", {"channel"}),
    ("rollup_1h_model", {"model", "provider"}),
    ("rollup_1h_intent", {"intent"}),
)


# The hourly rollup keyed by environment (analytics/schema.py migration 6): one environment's
# figures of agents and versions.
ENVIRONMENT_TABLE = "rollup_1h_env"
ENVIRONMENT_TABLE_COVERS = {"agent", "version"}
NARROW_TABLE_NAMES = {name for name, _ in NARROW_TABLES} | {ENVIRONMENT_TABLE}


def _on_the_hour(t: dt.datetime) -> bool:
    return t.minute == 0 and t.second == 0 and t.microsecond == 0


def choose_table(q: MetricQuery) -> str:
    """The smallest table that answers ``q`` exactly enough.

    Totals and breakdowns read hourly rollups, whose buckets start on the hour: over a range
    that does not, the partial first hour would be missing. Over a long range that is a sliver
    (and it matches the hourly chart beside it); over a short one (a drill-down into the last
    20 minutes) it can be everything, so short unaligned ranges read minute rollups or, for the
    dimensions those lack, the raw events, which are few over a few hours.
    """
    if q.source == "raw":
        return "events"
    needs_hourly = (q.dimension in _HOURLY_ONLY) or any(k in _HOURLY_ONLY for k in q.filters)
    short_unaligned = (
        q.granularity == "total"
        and q.end - q.start <= SHORT_RANGE
        and not (_on_the_hour(q.start) and _on_the_hour(q.end))
    )
    if q.environment is not None:
        used_dims = ({q.dimension} if q.dimension else set()) | set(q.filters)
        hourly = q.granularity not in ("minute", "5min") and not short_unaligned
        return ENVIRONMENT_TABLE if hourly and used_dims <= ENVIRONMENT_TABLE_COVERS else "events"
    if q.granularity in ("minute", "5min") or short_unaligned:
        return "events" if needs_hourly and q.source == "auto" else "rollup_1m"
    used = ({q.dimension} if q.dimension else set()) | set(q.filters)
    for table, covers in NARROW_TABLES:
        if used <= covers:
            return table  # a few thousand rows per tenant-week instead of the full cross product
    return "rollup_1h"


def _aggregates(table: str) -> str:
    if table == "events":
        return """
            count() AS events,
            uniq(conversation_id) AS conversations,
            sum(is_error) AS errors,
            sum(is_handoff) AS handoffs,
            countIf(outcome = 'answered') AS automated,
            countIf(cache_kind IN ('exact', 'semantic')) AS cache_hits,
            sum(prompt_tokens) AS prompt_tokens,
            sum(completion_tokens) AS completion_tokens,
            sum(cost_usd) AS cost_usd,
            sum(ifNull(csat, 0)) AS csat_sum,
            countIf(csat IS NOT NULL) AS csat_count,
            quantilesTDigest(0.5, 0.95, 0.99)(latency_ms) AS latency
        """
    uniq_merge = "uniqHLL12Merge" if table in NARROW_TABLE_NAMES else "uniqMerge"
    return f"""
            sum(events) AS events,
            {uniq_merge}(conversations) AS conversations,
            sum(errors) AS errors,
            sum(handoffs) AS handoffs,
            sum(contained) AS automated,  -- the rollup column counts outcome = 'answered'
            sum(cache_hits) AS cache_hits,
            sum(prompt_tokens) AS prompt_tokens,
            sum(completion_tokens) AS completion_tokens,
            sum(cost_usd) AS cost_usd,
            sum(csat_sum) AS csat_sum,
            sum(csat_count) AS csat_count,
            quantilesTDigestMerge(0.5, 0.95, 0.99)(latency) AS latency
        """


def build_sql(q: MetricQuery) -> tuple[str, dict[str, object]]:
    q.validate()
    db = get_settings().clickhouse.database
    table = choose_table(q)
    time_col = {"events": "ts", "rollup_1m": "minute"}.get(table, "hour")
    bucket = _BUCKET[q.granularity].format(t=time_col)
    params: dict[str, object] = {
        "tenant": q.tenant_id,
        "start": q.start.astimezone(dt.UTC).replace(tzinfo=None),
        "end": q.end.astimezone(dt.UTC).replace(tzinfo=None),
    }
    where = [
        "tenant_id = {tenant:UUID}",
        f"{time_col} >= {{start:DateTime('UTC')}}",
        f"{time_col} < {{end:DateTime('UTC')}}",
    ]
    if table == "events":
        where.append("type = 'conversation.logs'")
    if q.environment is not None:
        where.append("environment = {environment:String}")
        params["environment"] = q.environment
    for i, (key, value) in enumerate(sorted(q.filters.items())):
        column = DIMENSION_COLUMNS[key]
        kind = "UInt32" if column == "version" else "String"
        where.append(f"{column} = {{f{i}:{kind}}}")
        params[f"f{i}"] = int(value) if column == "version" else str(value)
    dim_select = ""
    group = "bucket"
    if q.dimension:
        dim_col = DIMENSION_COLUMNS[q.dimension]
        dim_select = f", {dim_col} AS dimension"
        group = "bucket, dimension"
    final = " FINAL" if table == "events" and q.source == "raw" else ""
    sql = f"""
        SELECT toDateTime64({bucket}, 0, 'UTC') AS bucket{dim_select},
        {_aggregates(table)}
        FROM {db}.{table}{final}
        WHERE {" AND ".join(where)}
        GROUP BY {group}
        ORDER BY {group}
    """
    return sql, params


def _derive(frame: pl.DataFrame) -> pl.DataFrame:
    """Rates and quantiles from the sums; division by zero gives null, not NaN or inf.

    ``contained`` (no handoff, no error) is derived, and a conversation estimate above the
    turn count is cut to it: every conversation has at least one turn.
    """
    if frame.is_empty():
        return frame
    ev = pl.col("events").cast(pl.Float64)
    safe = pl.when(ev > 0)
    frame = frame.with_columns(
        (pl.col("events").cast(pl.Int64) - pl.col("handoffs").cast(pl.Int64) - pl.col("errors").cast(pl.Int64))
        .clip(lower_bound=0)
        .alias("contained"),
        pl.min_horizontal(pl.col("conversations").cast(pl.Int64), pl.col("events").cast(pl.Int64)).alias(
            "conversations"
        ),
    )
    return frame.with_columns(
        safe.then(pl.col("automated") / ev).otherwise(None).alias("automation_rate"),
        safe.then(pl.col("contained") / ev).otherwise(None).alias("containment_rate"),
        safe.then(pl.col("handoffs") / ev).otherwise(None).alias("handoff_rate"),
        safe.then(pl.col("errors") / ev).otherwise(None).alias("error_rate"),
        safe.then(pl.col("cache_hits") / ev).otherwise(None).alias("cache_hit_rate"),
        pl.when(pl.col("csat_count") > 0).then(pl.col("csat_sum") / pl.col("csat_count")).otherwise(None).alias("csat"),
        pl.col("latency").list.get(0).alias("latency_p50"),
        pl.col("latency").list.get(1).alias("latency_p95"),
        pl.col("latency").list.get(2).alias("latency_p99"),
        (pl.col("prompt_tokens") + pl.col("completion_tokens")).alias("tokens"),
        pl.when(pl.col("automated") > 0)
        .then(pl.col("cost_usd") / pl.col("automated"))
        .otherwise(None)
        .alias("cost_per_resolved"),
    ).drop("latency")


def metrics(q: MetricQuery, kind: str = "timeseries") -> pl.DataFrame:
    sql, params = build_sql(q)
    table = choose_table(q)
    arrow = clickhouse.query_arrow(sql, params, tags={"feature": "analytics", "kind": kind, "table": table})
    frame = pl.from_arrow(arrow)
    assert isinstance(frame, pl.DataFrame)
    return _derive(frame)


def _ceil(t: dt.datetime, step: dt.timedelta) -> dt.datetime:
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    whole = -((epoch - t.astimezone(dt.UTC)) // step)
    return epoch + whole * step


def effective_window(q: MetricQuery) -> tuple[dt.datetime, dt.datetime]:
    """The turns ``q``'s table actually covers: whole buckets whose start lies in [start, end).

    Rollups keep whole minutes or hours, so an hourly total from 10:20 to 14:20 holds the turns
    of 11:00-15:00 (up to now, for a range ending now); the raw table holds exactly the range.
    """
    table = choose_table(q)
    if table == "events":
        return q.start, q.end
    step = dt.timedelta(minutes=1) if table == "rollup_1m" else dt.timedelta(hours=1)
    return _ceil(q.start, step), _ceil(q.end, step)


def _conversation_counts(q: MetricQuery, window: tuple[dt.datetime, dt.datetime], exact: bool) -> tuple[int, int]:
    """(conversations or -1 when not ``exact``, active conversations) from the raw turns of
    ``window``: distinct ids, so a stored duplicate of a turn cannot change them."""
    db = get_settings().clickhouse.database
    start, end = (t.astimezone(dt.UTC).replace(tzinfo=None) for t in window)
    active_from = max(start, q.end.astimezone(dt.UTC).replace(tzinfo=None) - ACTIVE_WINDOW)
    params: dict[str, object] = {"tenant": q.tenant_id, "start": start, "end": end, "active": active_from}
    where = [
        "tenant_id = {tenant:UUID}",
        "type = 'conversation.logs'",
        "ts < {end:DateTime64(3, 'UTC')}",
        "ts >= {start:DateTime64(3, 'UTC')}" if exact else "ts >= {active:DateTime64(3, 'UTC')}",
    ]
    for i, (key, value) in enumerate(sorted(q.filters.items())):
        column = DIMENSION_COLUMNS[key]
        where.append(f"{column} = {{f{i}:{'UInt32' if column == 'version' else 'String'}}}")
        params[f"f{i}"] = int(value) if column == "version" else str(value)
    total = "uniqExact(conversation_id)" if exact else "-1"
    sql = f"""
        SELECT {total} AS conversations,
               uniqExactIf(conversation_id, ts >= {{active:DateTime64(3, 'UTC')}}) AS active
        FROM {db}.events
        WHERE {" AND ".join(where)}
    """
    rows = clickhouse.query_rows(sql, params, tags={"feature": "analytics", "kind": "summary_conversations"})
    return int(rows[0][0]), int(rows[0][1])


def summary(q: MetricQuery) -> dict[str, object]:
    """Totals over the whole range (one row), with exact conversation counts (see the module)."""
    total = replace(q, granularity="total", dimension=None)
    frame = metrics(total, kind="summary")
    window = effective_window(total)
    out: dict[str, object] = {"window_start": window[0].isoformat(), "window_end": window[1].isoformat()}
    if frame.is_empty():
        return {"events": 0, "conversations": 0, "active_conversations": 0, "conversations_exact": True, **out}
    row = frame.drop("bucket").row(0, named=True)
    events = int(row["events"])
    exact = events <= EXACT_DISTINCT_MAX_TURNS
    conversations, active = _conversation_counts(q, window, exact)
    if not exact:  # the estimate, kept within what is certain: active <= conversations
        conversations = max(int(row["conversations"]), active)
    # Every conversation has a turn. Raw and rollups agree unless a store drifted (a crash
    # mid-insert): the tiles still never contradict each other.
    conversations = min(conversations, events)
    row |= {"conversations": conversations, "active_conversations": min(active, conversations)}
    out |= {k: (round(v, 6) if isinstance(v, float) else v) for k, v in row.items()}
    out["conversations_exact"] = exact
    return out


def breakdown(q: MetricQuery, dimension: Dimension, top: int = 20) -> pl.DataFrame:
    """Totals per value of one dimension, largest first."""
    per = replace(q, granularity="total", dimension=dimension)
    frame = metrics(per, kind=f"breakdown_{dimension}")
    if frame.is_empty():
        return frame
    return frame.drop("bucket").sort("events", descending=True).head(top)
