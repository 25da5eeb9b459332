"""Reconciliation: recompute every rollup from the raw events and report (or repair) drift.

Every figure the console and API show comes from the rollup tables (sums and uniq states
fed by materialized views) or from the raw ``events`` table read one row per event. Both are
derived from the same truth -- the distinct events, one row per ``(tenant_id, event_id)`` --
so both can be checked against it:

* ``events``: copies of an event (rows beyond the first of a ``(tenant_id, event_id)``), per
  tenant and day of the event's first row. Anything above zero would count twice in a query
  that does not deduplicate (copies stored before the ingest dedup window existed, or after
  it expired).
* each rollup (``rollup_1m``, ``rollup_1h``, the narrow hourly ones): per tenant and time
  bucket, every additive column (events, errors, handoffs, contained, cache hits, tokens,
  cost, CSAT sum and count) and the unique conversations, compared with the same aggregates
  over the distinct raw events of that bucket. The latency t-digest is approximate by design
  and not compared; a repair rebuilds it with the rest.

Conversation summaries and the explorer are not stored: they are computed at query time
from the raw events one row per event, so a clean ``events`` check covers them.

Repair: raw copies are deleted (keeping the earliest row of each event), then each drifted
rollup bucket is deleted and re-inserted with the SELECT of its own materialized view over
the distinct raw events of the bucket. Repairing a bucket that is still receiving events
can race the view (an event inserted between the delete and the re-insert is counted
twice); ``va analytics verify`` checks again after a repair and reports what is left, and
``settle`` keeps the most recent buckets out of a repair by default.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from analytics.schema import ROLLUPS, Rollup, rollup_select
from core import clickhouse
from core.config import get_settings

ADDITIVE = (
    "events",
    "errors",
    "handoffs",
    "contained",
    "cache_hits",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
    "csat_sum",
    "csat_count",
)
_TAGS = {"feature": "analytics", "kind": "reconcile"}


@dataclass(frozen=True)
class Drift:
    """One bucket of one table whose stored figures differ from the raw events'."""

    table: str
    tenant_id: str
    bucket: dt.datetime
    stored: dict[str, float]
    expected: dict[str, float]

    @property
    def metrics(self) -> list[str]:
        return [m for m in self.expected if not _same(self.stored.get(m, 0.0), self.expected[m])]


@dataclass
class Report:
    since: dt.datetime
    tenant_id: str | None
    buckets: dict[str, int] = field(default_factory=dict)  # buckets checked per table
    drift: list[Drift] = field(default_factory=list)
    repaired: dict[str, int] = field(default_factory=dict)  # buckets rebuilt per table

    @property
    def clean(self) -> bool:
        return not self.drift

    def as_dict(self) -> dict[str, object]:
        return {
            "since": self.since.isoformat(),
            "tenant_id": self.tenant_id,
            "buckets_checked": self.buckets,
            "drift": [
                {
                    "table": d.table,
                    "tenant_id": d.tenant_id,
                    "bucket": d.bucket.isoformat(),
                    "metrics": {m: {"stored": d.stored.get(m, 0.0), "expected": d.expected[m]} for m in d.metrics},
                }
                for d in self.drift
            ],
            "repaired": self.repaired,
        }


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _db() -> str:
    return get_settings().clickhouse.database


def _scope(tenant_id: str | None, since: dt.datetime, params: dict[str, object], column: str = "ts") -> str:
    params["since"] = since.astimezone(dt.UTC).replace(tzinfo=None)
    where = f"{column} >= {{since:DateTime64(3)}}"
    if tenant_id:
        params["tenant"] = tenant_id
        where += " AND tenant_id = {tenant:UUID}"
    return where


def distinct_events(tenant_id: str | None, since: dt.datetime, params: dict[str, object], extra: str = "") -> str:
    """A subquery with one row per event (the truth every figure is checked against)."""
    where = _scope(tenant_id, since, params) + (f" AND {extra}" if extra else "")
    return f"(SELECT * FROM {_db()}.events WHERE {where} LIMIT 1 BY tenant_id, event_id)"


def _frame(sql: str, params: dict[str, object]) -> pl.DataFrame:
    frame = pl.from_arrow(clickhouse.query_arrow(sql, params, tags=_TAGS))
    assert isinstance(frame, pl.DataFrame)
    return frame


# --- raw events -------------------------------------------------------------------------------


def check_raw(tenant_id: str | None, since: dt.datetime) -> tuple[int, list[Drift]]:
    """Copies of events in the raw table, per tenant and day of the event's first row (a copy
    with another ``ts`` may sit in another day, so events are grouped by id, not by day)."""
    params: dict[str, object] = {}
    scope = _scope(tenant_id, since, params)
    days = clickhouse.query_rows(
        f"SELECT count() FROM (SELECT DISTINCT tenant_id, toDate(ts) FROM {_db()}.events WHERE {scope})", params
    )
    copies = _frame(
        f"""
        SELECT tenant, bucket, toFloat64(sum(rows - 1)) AS copies
        FROM (
            SELECT toString(tenant_id) AS tenant, toDateTime64(toDate(min(ts)), 0, 'UTC') AS bucket, count() AS rows
            FROM {_db()}.events
            WHERE {scope}
            GROUP BY tenant_id, event_id
            HAVING rows > 1
        )
        GROUP BY tenant, bucket
        """,
        params,
    )
    drift = [
        Drift("events", r["tenant"], _utc(r["bucket"]), {"copies": r["copies"]}, {"copies": 0.0})
        for r in copies.iter_rows(named=True)
    ]
    return int(days[0][0]), drift


def repair_raw(drift: Sequence[Drift], since: dt.datetime) -> int:
    """Delete every copy of an event but its earliest row, for the tenants in ``drift`` (a
    synchronous mutation; mutations do not pass through the views, so the rollups are rebuilt
    separately)."""
    db = _db()
    for tenant in sorted({d.tenant_id for d in drift}):
        params: dict[str, object] = {}
        scope = _scope(tenant, since, params)
        copies = f"SELECT event_id FROM {db}.events WHERE {scope} GROUP BY event_id HAVING count() > 1"
        # Rows that differ in their sorting key (another ts or agent_id) are deleted by key, the
        # earliest kept; exact copies (same key) are collapsed by the ReplacingMergeTree's FINAL
        # merge of their partition.
        with clickhouse.locked_client() as client:
            client.command(
                f"""
                ALTER TABLE {db}.events DELETE
                WHERE tenant_id = {{tenant:UUID}} AND (event_id, ts, agent_id) IN (
                    SELECT event_id, ts, agent_id FROM (
                        SELECT event_id, ts, agent_id,
                               row_number() OVER (PARTITION BY event_id ORDER BY ts, agent_id) AS n
                        FROM (SELECT DISTINCT event_id, ts, agent_id FROM {db}.events
                              WHERE tenant_id = {{tenant:UUID}} AND event_id IN ({copies}))
                    ) WHERE n > 1
                )
                """,
                parameters=params,
                settings={"mutations_sync": 2},
            )
        partitions = clickhouse.query_rows(
            f"SELECT DISTINCT toString(toDate(ts)) FROM {db}.events "
            f"WHERE tenant_id = {{tenant:UUID}} AND event_id IN ({copies})",
            params,
        )
        for (day,) in partitions:
            clickhouse.command(f"OPTIMIZE TABLE {db}.events PARTITION '{day}' FINAL")
    return len(drift)


# --- rollups ----------------------------------------------------------------------------------


def _uniq_merge(rollup: Rollup) -> str:
    return f"{rollup.uniq}Merge(conversations)"


def check_rollup(rollup: Rollup, tenant_id: str | None, since: dt.datetime) -> tuple[int, list[Drift]]:
    """Buckets of ``rollup`` whose figures differ from the distinct raw events of the bucket."""
    db = _db()
    sums = ", ".join(f"toFloat64(sum({m})) AS {m}" for m in ADDITIVE)
    params: dict[str, object] = {}
    stored = _frame(
        f"""
        SELECT toString(tenant_id) AS tenant, toDateTime64({rollup.time_column}, 0, 'UTC') AS bucket, {sums},
               toFloat64({_uniq_merge(rollup)}) AS conversations
        FROM {db}.{rollup.name}
        WHERE {_scope(tenant_id, since, params, rollup.time_column)}
        GROUP BY tenant_id, bucket
        """,
        params,
    )
    params = {}
    source = distinct_events(tenant_id, since, params, "type = 'conversation.logs'")
    expected = _frame(
        f"""
        SELECT toString(tenant_id) AS tenant, toDateTime64({rollup.bucket}(ts), 0, 'UTC') AS bucket,
               toFloat64(count()) AS events, toFloat64(sum(is_error)) AS errors,
               toFloat64(sum(is_handoff)) AS handoffs, toFloat64(countIf(outcome = 'answered')) AS contained,
               toFloat64(countIf(cache_kind IN ('exact', 'semantic'))) AS cache_hits,
               toFloat64(sum(prompt_tokens)) AS prompt_tokens,
               toFloat64(sum(completion_tokens)) AS completion_tokens,
               toFloat64(sum(cost_usd)) AS cost_usd, toFloat64(sum(ifNull(csat, 0))) AS csat_sum,
               toFloat64(countIf(csat IS NOT NULL)) AS csat_count,
               toFloat64({rollup.uniq}(conversation_id)) AS conversations
        FROM {source}
        GROUP BY tenant_id, bucket
        """,
        params,
    )
    metrics = (*ADDITIVE, "conversations")
    joined = stored.join(expected, on=["tenant", "bucket"], how="full", suffix="_raw", coalesce=True)
    drift: list[Drift] = []
    for row in joined.iter_rows(named=True):
        have = {m: float(row[m] or 0.0) for m in metrics}
        want = {m: float(row[f"{m}_raw"] or 0.0) for m in metrics}
        if any(not _same(have[m], want[m]) for m in metrics):
            drift.append(Drift(rollup.name, row["tenant"], _utc(row["bucket"]), have, want))
    return joined.height, drift


def repair_rollup(rollup: Rollup, drift: Sequence[Drift]) -> int:
    """Rebuild the drifted buckets of ``rollup`` from the distinct raw events."""
    db = _db()
    columns = [str(r[0]) for r in clickhouse.query_rows(f"DESCRIBE TABLE {db}.{rollup.name}")]
    for tenant in sorted({d.tenant_id for d in drift}):
        buckets = sorted({d.bucket.astimezone(dt.UTC).replace(tzinfo=None) for d in drift if d.tenant_id == tenant})
        params: dict[str, object] = {"tenant": tenant, "buckets": buckets}
        in_buckets = "{buckets:Array(DateTime('UTC'))}"
        source = (
            f"(SELECT * FROM {db}.events WHERE tenant_id = {{tenant:UUID}} AND {rollup.bucket}(ts) IN {in_buckets} "
            "LIMIT 1 BY tenant_id, event_id)"
        )
        with clickhouse.locked_client() as client:
            client.command(
                f"ALTER TABLE {db}.{rollup.name} DELETE "
                f"WHERE tenant_id = {{tenant:UUID}} AND {rollup.time_column} IN {in_buckets}",
                parameters=params,
                settings={"mutations_sync": 2},
            )
            # By name, in the table's column order (INSERT ... SELECT matches by position); no
            # insert dedup: a rebuilt bucket may equal a block inserted before.
            client.command(
                f"INSERT INTO {db}.{rollup.name} SELECT {', '.join(columns)} "
                f"FROM ({rollup_select(db, rollup.name, source)})",
                parameters=params,
                settings={"insert_deduplicate": 0},
            )
    return len(drift)


# --- the whole check ------------------------------------------------------------------------------


def verify(
    tenant_id: str | None,
    since: dt.datetime,
    *,
    repair: bool = False,
    settle: dt.timedelta = dt.timedelta(minutes=2),
    now: dt.datetime | None = None,
) -> Report:
    """Check raw events and every rollup from ``since`` (floored to the day, so every bucket
    is compared whole); with ``repair``, rebuild drifted buckets that ended at least
    ``settle`` ago and check again."""
    start = since.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    report = _check(tenant_id, start)
    if not repair or report.clean:
        return report
    cutoff = (now or dt.datetime.now(dt.UTC)) - settle
    settled = [d for d in report.drift if d.bucket < cutoff]
    raw = [d for d in settled if d.table == "events"]
    if raw:
        report.repaired["events"] = repair_raw(raw, start)
    for rollup in ROLLUPS:
        # After a raw repair every bucket of the affected days may have changed: re-check.
        drifted = check_rollup(rollup, tenant_id, start)[1] if raw else report.drift
        mine = [d for d in drifted if d.table == rollup.name and d.bucket < cutoff]
        if mine:
            report.repaired[rollup.name] = repair_rollup(rollup, mine)
    after = _check(tenant_id, start)
    after.repaired = report.repaired
    return after


def _check(tenant_id: str | None, start: dt.datetime) -> Report:
    report = Report(start, tenant_id)
    report.buckets["events"], raw = check_raw(tenant_id, start)
    report.drift.extend(raw)
    for rollup in ROLLUPS:
        report.buckets[rollup.name], drift = check_rollup(rollup, tenant_id, start)
        report.drift.extend(drift)
    return report
