"""Panels of the analytics dashboard, each one query against the rollups.

Ranges default to the last 24 hours; the granularity, when not given, is the finest one
that keeps a chart readable (minute up to 6 h, hour up to 14 days, day beyond).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from analytics.queries import metrics as mq
from core import clickhouse
from core.environments import ALL as ALL_ENVIRONMENTS
from va_app.domain.agents.lookup import agent_filter_value, slugs_by_id
from va_app.domain.errors import InvalidInput
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal

PANELS = ("summary", "timeseries", "by_agent", "by_version", "by_model", "by_channel", "by_intent")
_BREAKDOWNS: dict[str, mq.Dimension] = {
    "by_agent": "agent",
    "by_version": "version",
    "by_model": "model",
    "by_channel": "channel",
    "by_intent": "intent",
}


@dataclass(frozen=True)
class DashboardRequest:
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    granularity: mq.Granularity | None = None
    filters: dict[str, str | int] = field(default_factory=dict)
    panels: tuple[str, ...] = PANELS
    source: mq.Source = "auto"
    environment: str | None = None  # one environment's turns only (core.environments); None = all turns


def auto_granularity(start: dt.datetime, end: dt.datetime) -> mq.Granularity:
    span = end - start
    if span <= dt.timedelta(hours=6):
        return "minute"
    if span <= dt.timedelta(days=14):
        return "hour"
    return "day"


def resolve(tenant_id: str, req: DashboardRequest) -> mq.MetricQuery:
    end = (req.end or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    start = (req.start or end - dt.timedelta(hours=24)).astimezone(dt.UTC)
    unknown = set(req.panels) - set(PANELS)
    if unknown:
        raise InvalidInput(f"unknown panels: {', '.join(sorted(unknown))}; known: {', '.join(PANELS)}")
    query = mq.MetricQuery(
        tenant_id=tenant_id,
        start=start,
        end=end,
        granularity=req.granularity or auto_granularity(start, end),
        filters=dict(req.filters),
        source=req.source,
        environment=req.environment,
    )
    try:
        query.validate()
    except mq.QueryError as exc:
        raise InvalidInput(str(exc)) from exc
    return query


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in row.items()} for row in frame.to_dicts()
    ]


def run_panel(query: mq.MetricQuery, panel: str) -> Any:
    if panel == "summary":
        return mq.summary(query)
    if panel == "timeseries":
        return _records(mq.metrics(query))
    return _records(mq.breakdown(query, _BREAKDOWNS[panel]))


async def dashboard(principal: Principal, req: DashboardRequest, tenant_id: str | None = None) -> dict[str, Any]:
    """All requested panels; a superadmin may look at another tenant.

    The agent filter takes a slug or an id, and ``by_agent`` rows name the agent's slug:
    events carry ids, people know slugs.
    """
    principal.require(Perm.ANALYTICS_READ)
    tenant = str(principal.tenant_id)
    if tenant_id and tenant_id != tenant:
        principal.require(Perm.PLATFORM_ADMIN)
        tenant = tenant_id
    # one Postgres read, only when an agent is named or the agent panel is asked for
    slugs = await slugs_by_id(tenant) if req.filters.get("agent") or "by_agent" in req.panels else {}
    if req.filters.get("agent"):
        req = replace(req, filters={**req.filters, "agent": agent_filter_value(str(req.filters["agent"]), slugs)})
    query = resolve(tenant, req)
    panels: dict[str, Any] = {}
    timings: dict[str, float] = {}
    for panel in req.panels:
        started = time.perf_counter()
        panels[panel] = await clickhouse.run(run_panel, query, panel)
        timings[panel] = round((time.perf_counter() - started) * 1000, 2)
    for row in panels.get("by_agent") or []:
        row["agent_slug"] = slugs.get(str(row.get("dimension")), "")
    return {
        "tenant_id": tenant,
        "start": query.start.isoformat(),
        "end": query.end.isoformat(),
        "granularity": query.granularity,
        "filters": query.filters,
        "environment": query.environment or ALL_ENVIRONMENTS,
        "table": mq.choose_table(query),
        "panels": panels,
        "timings_ms": timings,
    }


async def agent_metrics(principal: Principal, agent_id: str, req: DashboardRequest) -> dict[str, Any]:
    """KPIs of one agent (summary, timeseries and split by version).

    With ``req.environment`` (what the API and the console ask for by default: production)
    only turns served there count (the hourly rollup keyed by environment); without it every
    turn of the agent counts (any environment, or none recorded).
    """
    principal.require(Perm.ANALYTICS_READ)
    scoped = DashboardRequest(
        start=req.start,
        end=req.end,
        granularity=req.granularity,
        filters={**req.filters, "agent": agent_id},
        panels=("summary", "timeseries", "by_version"),
        source=req.source,
        environment=req.environment,
    )
    return await dashboard(principal, scoped)
