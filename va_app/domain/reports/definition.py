"""What a report is: metrics, an optional split, filters, a time range and a granularity.

The same definition comes from query parameters, a JSON body or a saved row, and turns into
one polars frame through the metrics query layer (rollups), so a report shows exactly the
numbers of the dashboards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import polars as pl

from analytics.queries import metrics as mq
from va_app.domain.errors import InvalidInput

Format = Literal["csv", "parquet", "xlsx", "json", "pdf", "html"]
FORMATS: tuple[str, ...] = ("csv", "parquet", "xlsx", "json", "pdf", "html")
METRICS: tuple[str, ...] = (
    "events",
    "conversations",
    "automation_rate",
    "handoff_rate",
    "error_rate",
    "cache_hit_rate",
    "csat",
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "tokens",
    "cost_usd",
    "cost_per_resolved",
)
DEFAULT_METRICS: tuple[str, ...] = (
    "events",
    "conversations",
    "automation_rate",
    "error_rate",
    "latency_p95",
    "cost_usd",
)
RANGES: dict[str, dt.timedelta] = {
    "1h": dt.timedelta(hours=1),
    "24h": dt.timedelta(hours=24),
    "7d": dt.timedelta(days=7),
    "30d": dt.timedelta(days=30),
}


@dataclass(frozen=True)
class ReportDefinition:
    """A report request. ``range`` is a preset relative to now (``24h``…); ``start``/``end``
    win over it when given, so a scheduled report always covers "the last N"."""

    title: str = "Conversation report"
    metrics: tuple[str, ...] = DEFAULT_METRICS
    dimensions: tuple[str, ...] = ()
    filters: dict[str, str | int] = field(default_factory=dict)
    range: str = "24h"
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    granularity: str = "hour"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["metrics"], data["dimensions"] = list(self.metrics), list(self.dimensions)
        for key in ("start", "end"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReportDefinition:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("start", "end"):
            if isinstance(known.get(key), str):
                known[key] = dt.datetime.fromisoformat(known[key])
        for key in ("metrics", "dimensions"):
            if key in known:
                known[key] = tuple(known[key] or ())
        return cls(**known)


def validate(definition: ReportDefinition) -> None:
    """Refuse what the query layer could not answer, in words a report author understands."""
    unknown = [m for m in definition.metrics if m not in METRICS]
    if unknown or not definition.metrics:
        raise InvalidInput(f"unknown or no metrics {unknown}; known: {', '.join(METRICS)}")
    if len(definition.dimensions) > 1:
        raise InvalidInput("a report splits by at most one dimension")
    bad = [d for d in definition.dimensions if d not in mq.DIMENSION_COLUMNS]
    if bad:
        raise InvalidInput(f"unknown dimension {bad[0]!r}; known: {', '.join(mq.DIMENSION_COLUMNS)}")
    if definition.range not in RANGES and not (definition.start and definition.end):
        raise InvalidInput(f"range must be one of {', '.join(RANGES)} or give start and end")
    if definition.granularity not in ("minute", "5min", "hour", "day", "week", "total"):
        raise InvalidInput("granularity must be minute, 5min, hour, day, week or total")


def metric_query(tenant_id: str, definition: ReportDefinition, now: dt.datetime | None = None) -> mq.MetricQuery:
    validate(definition)
    end = (definition.end or now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    start = (definition.start or end - RANGES[definition.range]).astimezone(dt.UTC)
    granularity, dimension = definition.granularity, definition.dimensions[0] if definition.dimensions else None
    assert mq.is_granularity(granularity) and (dimension is None or mq.is_dimension(dimension))  # validated above
    query = mq.MetricQuery(
        tenant_id=tenant_id,
        start=start,
        end=end,
        granularity=granularity,
        dimension=dimension,
        filters=dict(definition.filters),
    )
    try:
        query.validate()
    except mq.QueryError as exc:
        raise InvalidInput(str(exc)) from exc
    return query


def report_frame(query: mq.MetricQuery, definition: ReportDefinition) -> pl.DataFrame:
    """The report's rows: bucket (+ dimension) and the chosen metrics, oldest first."""
    frame = mq.metrics(query, kind="report")
    keys = ["bucket", *(["dimension"] if query.dimension else [])]
    if frame.is_empty():
        schema: dict[str, Any] = {"bucket": pl.Datetime("ms", "UTC")}
        if query.dimension:
            schema["dimension"] = pl.String
        return pl.DataFrame(schema={**schema, **dict.fromkeys(definition.metrics, pl.Float64)})
    frame = frame.select([*keys, *definition.metrics]).sort(keys)
    if query.dimension:
        frame = frame.rename({"dimension": query.dimension}).with_columns(pl.col(query.dimension).cast(pl.String))
    return frame


def totals(query: mq.MetricQuery) -> dict[str, Any]:
    """The whole range's KPIs, for the written summary."""
    return mq.summary(query)
