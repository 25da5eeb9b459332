"""The live dashboard's data as polars frames (the console keeps them server-side).

Unlike :func:`va_app.domain.dashboards.service.dashboard`, which shapes JSON for the API, this
returns frames: the time series, one breakdown per dimension, the range totals and, for
hourly charts, the anomaly detector's expected band of every point (learned from the two weeks
before the range, so the band means "normal for this hour of the week").
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field, replace

import polars as pl

from analytics import anomaly
from analytics.queries import metrics as mq
from va_app.domain.agents.lookup import slugs_by_id
from va_app.domain.dashboards.service import DashboardRequest, resolve
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal

log = logging.getLogger(__name__)
BREAKDOWNS: tuple[mq.Dimension, ...] = ("agent", "version", "model", "provider", "channel", "intent")
BAND_METRICS: tuple[str, ...] = ("events", "error_rate", "latency_p95")
COUNT_METRICS: tuple[str, ...] = ("events", "cost_usd")  # grow with the time a bucket covers
# Two weeks: the weekday/weekend hourly profile needs three past values per slot and the noise
# scale a day of residuals after that, which one week of history cannot give.
BAND_HISTORY = dt.timedelta(days=14)


@dataclass(frozen=True)
class LiveDashboard:
    tenant_id: str
    start: dt.datetime
    end: dt.datetime
    granularity: str
    totals: dict[str, object]
    series: pl.DataFrame
    breakdowns: dict[str, pl.DataFrame]
    bands: pl.DataFrame  # metric, bucket, expected, lower, upper, anomalous (empty if unknown)
    agent_slugs: dict[str, str] = field(default_factory=dict)  # agent id -> slug, for labels


def _bands(query: mq.MetricQuery) -> pl.DataFrame:
    """Expected band per hourly point of the range; empty when there is too little history."""
    if query.granularity != "hour":
        return pl.DataFrame()
    history = mq.MetricQuery(query.tenant_id, query.start - BAND_HISTORY, query.end, "hour", None, query.filters)
    frame = mq.metrics(history, kind="dashboard_bands")
    if frame.height < 48:
        return pl.DataFrame()
    try:
        detection = anomaly.detect_frame(
            frame.select(["bucket", *BAND_METRICS]), BAND_METRICS, granularity="hour", use_forest=False
        )
    except ValueError:
        log.warning("anomaly bands unavailable", exc_info=True)
        return pl.DataFrame()
    bands = detection.bands
    if bands.is_empty():
        return bands
    # The hour still running holds a fraction of an hour's turns: judged against a whole hour's
    # band its volume would always look like a collapse, so counts get no band or marker there.
    # Rates and latency of a partial hour are fair to judge (the incident may be happening now).
    partial_count = (pl.col("bucket") + pl.duration(hours=1) > query.end) & pl.col("metric").is_in(COUNT_METRICS)
    return bands.filter((pl.col("bucket") >= query.start) & ~partial_count).select(
        "metric", "bucket", *(["value"] if "value" in bands.columns else []), "expected", "lower", "upper", "anomalous"
    )


def live_frames(query: mq.MetricQuery) -> LiveDashboard:
    """Every query of the page (blocking; run in a worker thread)."""
    return LiveDashboard(
        tenant_id=query.tenant_id,
        start=query.start,
        end=query.end,
        granularity=query.granularity,
        totals=mq.summary(query),
        series=mq.metrics(query, kind="dashboard_series"),
        breakdowns={d: mq.breakdown(query, d) for d in BREAKDOWNS},
        bands=_bands(query),
    )


async def live_dashboard(principal: Principal, req: DashboardRequest, tenant_id: str | None = None) -> LiveDashboard:
    """The dashboard of the principal's tenant (a superadmin may name another)."""
    principal.require(Perm.ANALYTICS_READ)
    tenant = str(principal.tenant_id)
    if tenant_id and tenant_id != tenant:
        principal.require(Perm.PLATFORM_ADMIN)
        tenant = tenant_id
    query = resolve(tenant, req)
    live = await asyncio.to_thread(live_frames, query)
    return replace(live, agent_slugs=await slugs_by_id(tenant))


__all__ = ["BREAKDOWNS", "LiveDashboard", "live_dashboard"]
