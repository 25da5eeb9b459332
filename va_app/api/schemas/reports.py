"""Wire schemas of ``/analytics/reports``: a report definition as JSON, saved definitions."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field
from pydantic.dataclasses import dataclass

from va_app.api.schemas.common import Listing, Strict
from va_app.domain.reports.definition import DEFAULT_METRICS, ReportDefinition
from va_app.domain.reports.saved import SavedReportView

FormatParam = Literal["csv", "parquet", "xlsx", "json", "pdf", "html"]
Granularity = Literal["minute", "5min", "hour", "day", "week", "total"]
Range = Literal["1h", "24h", "7d", "30d"]


# A ``ReportDefinition`` as a caller writes it: bounded, with the presets spelled out.
class ReportSpec(Strict):
    title: str = Field(default="Conversation report", min_length=1, max_length=200)
    metrics: list[str] = Field(default_factory=lambda: list(DEFAULT_METRICS), min_length=1, max_length=20)
    dimensions: list[str] = Field(default_factory=list, max_length=1)
    filters: dict[str, str | int] = Field(default_factory=dict, max_length=10)
    range: Range = "24h"
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    granularity: Granularity = "hour"

    def definition(self) -> ReportDefinition:
        return ReportDefinition.from_dict(self.model_dump())


class RenderRequest(ReportSpec):
    format: FormatParam = "csv"


class SavedReportCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    definition: ReportSpec = Field(default_factory=ReportSpec)
    format: FormatParam = "pdf"
    schedule: Literal["none", "daily", "weekly"] = "none"


@dataclass(frozen=True)
class SavedReportPublic(SavedReportView):
    pass


class SavedReportsPublic(Listing[SavedReportPublic]):
    pass
