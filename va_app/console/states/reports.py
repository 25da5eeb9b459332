"""Report downloads from the dashboards page: the current filters and range as a file.

A substate of the dashboards state, so a download is exactly what the charts show; the
file is rendered by the reports service and sent with ``rx.download``.
"""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from va_app.console.states.analytics import AnalyticsState
from va_app.domain.errors import DomainError
from va_app.domain.reports.definition import ReportDefinition
from va_app.domain.reports.render import render_report


class ReportDownloadState(AnalyticsState):
    busy: str = ""

    @rx.event
    async def download(self, fmt: str) -> EventSpec | None:
        try:
            principal = await self._principal()
            request = self._request()
            definition = ReportDefinition(
                title="Conversation report",
                metrics=(
                    "events",
                    "conversations",
                    "automation_rate",
                    "handoff_rate",
                    "error_rate",
                    "latency_p95",
                    "cost_usd",
                ),
                filters=dict(request.filters),
                start=request.start,
                end=request.end,
                granularity=request.granularity or "hour",
            )
            report = await render_report(principal, definition, fmt, tenant_id=self.tenant or None)
        except DomainError as exc:
            return self._failed(exc)
        return rx.download(data=report.content, filename=report.filename)
