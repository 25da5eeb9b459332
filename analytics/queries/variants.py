"""Per-version statistics of one agent over an exact time window, from the raw events.

Rollouts and experiments compare versions over windows that start at arbitrary instants
(when a rollout step began, when an experiment started), so the hourly rollups are too
coarse and minute rollups cannot merge a p95 exactly. The raw table is ordered by
``(tenant_id, agent_id, ts)``, so one agent's window is a narrow range scan. Besides counts
and p95 it returns means and sample variances, which the significance tests need.

A verdict is about one environment's users: only turns served in that environment count
(events that do not say where they were served, ``environment = ''``, never do), so a
version's staging traffic cannot roll back or crown it in production. Operators' Try it
turns (channel ``console``) never count in any environment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from core import clickhouse
from core.config import get_settings
from core.environments import ENVIRONMENTS

# Turns from the console's "Try it" tab: operators testing a version, not its users. They stay
# in the dashboards (as their own channel) but never decide a rollout or an experiment.
OPERATOR_TEST_CHANNEL = "console"

COLUMNS = (
    "version",
    "events",
    "conversations",
    "errors",
    "handoffs",
    "contained",
    "error_rate",
    "handoff_rate",
    "automation_rate",
    "latency_mean",
    "latency_var",
    "latency_p95",
    "csat_count",
    "csat_mean",
    "csat_var",
    "cost_usd",
)


def build_sql(
    tenant_id: str,
    agent_id: str,
    start: dt.datetime,
    end: dt.datetime,
    versions: Sequence[int] | None = None,
    *,
    environment: str,
) -> tuple[str, dict[str, object]]:
    if environment not in ENVIRONMENTS:
        raise ValueError(f"version stats are per environment; '{environment}' is not one of {', '.join(ENVIRONMENTS)}")
    db = get_settings().clickhouse.database
    params: dict[str, object] = {
        "tenant": tenant_id,
        "agent": agent_id,
        "environment": environment,
        "start": start.astimezone(dt.UTC).replace(tzinfo=None),
        "end": end.astimezone(dt.UTC).replace(tzinfo=None),
        "test_channel": OPERATOR_TEST_CHANNEL,
    }
    version_filter = ""
    if versions:
        params["versions"] = [int(v) for v in versions]
        version_filter = "AND version IN {versions:Array(UInt32)}"
    sql = f"""
        SELECT
            version,
            count() AS events,
            uniq(conversation_id) AS conversations,
            sum(is_error) AS errors,
            sum(is_handoff) AS handoffs,
            countIf(outcome = 'answered') AS contained,
            errors / events AS error_rate,
            handoffs / events AS handoff_rate,
            contained / events AS automation_rate,
            avg(latency_ms) AS latency_mean,
            varSamp(latency_ms) AS latency_var,
            quantileTDigest(0.95)(latency_ms) AS latency_p95,
            countIf(csat IS NOT NULL) AS csat_count,
            avgIf(toFloat64(assumeNotNull(csat)), csat IS NOT NULL) AS csat_mean,
            varSampIf(toFloat64(assumeNotNull(csat)), csat IS NOT NULL) AS csat_var,
            sum(cost_usd) AS cost_usd
        FROM (
            -- each event once: a copy stored before the ingest dedup window (or after it
            -- expired) must not weigh twice in a rollout or experiment decision
            SELECT *
            FROM {db}.events
            WHERE tenant_id = {{tenant:UUID}}
              AND agent_id = {{agent:String}}
              AND type = 'conversation.logs'
              AND environment = {{environment:String}}
              AND channel != {{test_channel:String}}
              AND ts >= {{start:DateTime64(3, 'UTC')}}
              AND ts < {{end:DateTime64(3, 'UTC')}}
              {version_filter}
            LIMIT 1 BY event_id
        )
        GROUP BY version
        ORDER BY version
    """
    return sql, params


def version_stats(
    tenant_id: str,
    agent_id: str,
    start: dt.datetime,
    end: dt.datetime,
    versions: Sequence[int] | None = None,
    *,
    environment: str,
) -> pl.DataFrame:
    """One row per version seen in ``environment`` in the window (versions without traffic there are absent)."""
    sql, params = build_sql(tenant_id, agent_id, start, end, versions, environment=environment)
    arrow = clickhouse.query_arrow(sql, params, tags={"feature": "agents", "kind": "version_stats", "table": "events"})
    frame = pl.from_arrow(arrow)
    assert isinstance(frame, pl.DataFrame)
    # NaN (variance of one value, mean of nothing) becomes null: callers treat both as "unknown".
    return frame.with_columns(pl.col(pl.Float64).fill_nan(None)) if not frame.is_empty() else frame
