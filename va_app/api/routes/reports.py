"""Exported reports: render a definition as CSV/Parquet/XLSX/JSON/PDF/HTML; saved definitions.

``GET /analytics/reports`` takes the definition as query parameters (a link that downloads
a file); ``POST /analytics/reports/render`` takes it as JSON. Saved definitions may carry a
daily or weekly schedule, delivered by the report scheduler.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Response

from va_app.api.deps import PrincipalDep
from va_app.api.schemas.reports import (
    FormatParam,
    Granularity,
    Range,
    RenderRequest,
    SavedReportCreate,
    SavedReportPublic,
    SavedReportsPublic,
)
from va_app.domain.reports import saved
from va_app.domain.reports.definition import DEFAULT_METRICS, ReportDefinition
from va_app.domain.reports.render import RenderedReport, render_report

router = APIRouter(prefix="/analytics/reports", tags=["reports"])


def _file(report: RenderedReport) -> Response:
    disposition = "inline" if report.filename.endswith((".json", ".html")) else "attachment"
    return Response(
        report.content,
        media_type=report.media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{report.filename}"'},
    )


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


@router.get("", summary="Render a report from query parameters (downloads a file)")
async def get_report(
    principal: PrincipalDep,
    format: FormatParam = "csv",
    metrics: Annotated[str | None, Query(max_length=500, description="comma-separated KPIs")] = None,
    dimension: Annotated[str | None, Query(max_length=20, description="agent, version, model, channel…")] = None,
    range: Range = "24h",
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    granularity: Granularity = "hour",
    agent_id: Annotated[str | None, Query(max_length=200)] = None,
    version: Annotated[int | None, Query(ge=0)] = None,
    channel: Annotated[str | None, Query(max_length=200)] = None,
    model: Annotated[str | None, Query(max_length=200)] = None,
    title: Annotated[str, Query(min_length=1, max_length=200)] = "Conversation report",
    tenant_id: Annotated[str | None, Query(description="superadmins only: another tenant")] = None,
) -> Response:
    filters = {"agent": agent_id, "version": version, "channel": channel, "model": model}
    definition = ReportDefinition(
        title=title,
        metrics=tuple(_csv(metrics)) or DEFAULT_METRICS,
        dimensions=(dimension,) if dimension else (),
        filters={k: v for k, v in filters.items() if v is not None},
        range=range,
        start=start,
        end=end,
        granularity=granularity,
    )
    return _file(await render_report(principal, definition, format, tenant_id=tenant_id))


@router.post("/render", summary="Render a report from a JSON definition (downloads a file)")
async def post_report(body: RenderRequest, principal: PrincipalDep) -> Response:
    return _file(await render_report(principal, body.definition(), body.format))


@router.get("/saved", response_model=SavedReportsPublic, summary="Saved report definitions")
async def list_saved(principal: PrincipalDep) -> SavedReportsPublic:
    rows = [SavedReportPublic(**asdict(v)) for v in await saved.list_saved(principal)]
    return SavedReportsPublic(data=rows, count=len(rows))


@router.post(
    "/saved", status_code=201, response_model=SavedReportPublic, summary="Save a report (optionally scheduled)"
)
async def create_saved(body: SavedReportCreate, principal: PrincipalDep) -> SavedReportPublic:
    view = await saved.save_report(principal, body.name, body.definition.definition(), body.format, body.schedule)
    return SavedReportPublic(**asdict(view))


@router.delete("/saved/{report_id}", status_code=204, summary="Delete a saved report and its schedule")
async def delete_saved(report_id: uuid.UUID, principal: PrincipalDep) -> Response:
    await saved.delete_saved(principal, report_id)
    return Response(status_code=204)
