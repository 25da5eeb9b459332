"""Saved report definitions and their delivery schedule (0007).

``definition`` is the JSON of ``va_app.domain.reports.definition.ReportDefinition``; the scheduler
picks rows whose ``next_run_at`` has passed (``FOR UPDATE SKIP LOCKED``, so two replicas
never deliver the same run twice) and moves ``next_run_at`` forward.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, TenantScoped, TimestampMixin
from models.tenancy import JSONType


class SavedReport(IdMixin, TenantScoped, TimestampMixin, Base):
    __tablename__ = "saved_reports"
    __table_args__ = (Index("ix_saved_reports_next_run_at", "next_run_at"),)

    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    format: Mapped[str] = mapped_column(String(10), default="pdf")
    schedule: Mapped[str] = mapped_column(String(10), default="none")  # none | daily | weekly
    next_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_status: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(320), default="")
