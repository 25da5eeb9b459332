"""Analytics queries: dashboards for the tenant and KPIs of one agent."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from core.environments import ALL, DEFAULT_VERDICT_ENVIRONMENT, EnvironmentScope
from va_app.api.deps import PrincipalDep
from va_app.domain.agents.lookup import find_agent
from va_app.domain.dashboards.service import PANELS, DashboardRequest, agent_metrics, dashboard

router = APIRouter(tags=["analytics"])
GranularityParam = Literal["minute", "hour", "day", "week", "total"]


def _request(
    start: dt.datetime | None,
    end: dt.datetime | None,
    granularity: GranularityParam | None,
    filters: dict[str, Any],
    panels: str | None,
    source: Literal["auto", "rollup", "raw"],
) -> DashboardRequest:
    return DashboardRequest(
        start=start,
        end=end,
        granularity=granularity,
        filters={k: v for k, v in filters.items() if v is not None},
        panels=tuple(p.strip() for p in panels.split(",") if p.strip()) if panels else PANELS,
        source=source,
    )


@router.get("/analytics/dashboards", summary="Dashboard panels (KPIs, time series, breakdowns) for a range")
async def get_dashboards(
    principal: PrincipalDep,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    granularity: GranularityParam | None = None,
    agent_id: Annotated[str | None, Query(max_length=200, description="the agent's id or slug")] = None,
    version: Annotated[int | None, Query(ge=0)] = None,
    channel: Annotated[str | None, Query(max_length=200)] = None,
    model: Annotated[str | None, Query(max_length=200)] = None,
    intent: Annotated[str | None, Query(max_length=200)] = None,
    panels: Annotated[str | None, Query(description=f"comma-separated subset of {', '.join(PANELS)}")] = None,
    source: Literal["auto", "rollup", "raw"] = "auto",
    tenant_id: Annotated[str | None, Query(description="superadmins only: another tenant")] = None,
) -> dict[str, Any]:
    filters = {"agent": agent_id, "version": version, "channel": channel, "model": model, "intent": intent}
    return await dashboard(principal, _request(start, end, granularity, filters, panels, source), tenant_id=tenant_id)


@router.get("/agents/{agent_id}/metrics", summary="Live KPIs of one agent (by id or slug)")
async def get_agent_metrics(
    agent_id: Annotated[str, Path(max_length=200)],
    principal: PrincipalDep,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    granularity: GranularityParam | None = None,
    version: Annotated[int | None, Query(ge=0)] = None,
    source: Literal["auto", "rollup", "raw"] = "auto",
    environment: Annotated[
        EnvironmentScope,
        Query(
            description="count only turns served in this environment; 'all' counts every turn, "
            "including those that did not say where they were served"
        ),
    ] = DEFAULT_VERDICT_ENVIRONMENT,
) -> dict[str, Any]:
    agent = await find_agent(principal, agent_id)
    request = _request(start, end, granularity, {"version": version}, None, source)
    request = replace(request, environment=None if environment == ALL else environment)
    result = await agent_metrics(principal, agent.id, request)
    return {"agent": {"id": agent.id, "slug": agent.slug, "name": agent.name}, **result}
