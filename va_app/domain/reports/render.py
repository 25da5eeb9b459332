"""Render a report definition for a principal: check, query, format.

Reading a report needs ``analytics:read`` (viewers and up), like the dashboards it mirrors.
The blocking parts (chDB query, workbook/PDF writing) run in a worker thread.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from analytics.queries import metrics as mq
from core import clickhouse
from va_app.domain.errors import InvalidInput
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.reports import document, formats
from va_app.domain.reports.definition import FORMATS, ReportDefinition, metric_query, report_frame, totals
from va_app.domain.reports.narrative import summarise


@dataclass(frozen=True)
class RenderedReport:
    filename: str
    media_type: str
    content: bytes


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "report"


def render_sync(query: mq.MetricQuery, definition: ReportDefinition, fmt: str) -> RenderedReport:
    """Query and format (blocking; also what the scheduler runs for every tenant)."""
    frame = report_frame(query, definition)
    dimension = query.dimension
    metrics = list(definition.metrics)
    meta = {
        "title": definition.title,
        "start": query.start.isoformat(),
        "end": query.end.isoformat(),
        "granularity": query.granularity,
        "dimension": dimension,
        "filters": query.filters,
    }
    if fmt == "csv":
        content = formats.to_csv(frame)
    elif fmt == "parquet":
        content = formats.to_parquet(frame)
    elif fmt == "json":
        content = formats.to_json(frame, {**meta, "summary": totals(query)})
    elif fmt == "xlsx":
        content = formats.to_xlsx(frame, totals(query), definition.title)
    else:
        sentences = summarise(totals(query), frame, query.start, query.end)
        writer = document.to_pdf if fmt == "pdf" else document.to_html
        content = writer(definition.title, sentences, frame, metrics, dimension)
    stamp = f"{query.end:%Y%m%d-%H%M}"
    return RenderedReport(f"{_slug(definition.title)}-{stamp}.{fmt}", formats.MEDIA_TYPES[fmt], content)


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format '{fmt}'; known: {', '.join(FORMATS)}")


async def render_report(
    principal: Principal,
    definition: ReportDefinition,
    fmt: str,
    tenant_id: str | None = None,
    now: dt.datetime | None = None,
) -> RenderedReport:
    """The report as a file for this principal's tenant (a superadmin may name another)."""
    principal.require(Perm.ANALYTICS_READ)
    check_format(fmt)
    tenant = str(principal.tenant_id)
    if tenant_id and tenant_id != tenant:
        principal.require(Perm.PLATFORM_ADMIN)
        tenant = tenant_id
    query = metric_query(tenant, definition, now)
    return await clickhouse.run(render_sync, query, definition, fmt)
