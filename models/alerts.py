"""Alert rules and alerts (0006).

A rule says what to watch (a threshold on a KPI, an anomaly on KPIs, a failed deployment);
an alert is one incident a rule raised for one agent and metric. At most one alert per
``fingerprint`` (rule + agent + metric) is open at a time — a partial unique index enforces
it, so two evaluator replicas can never open the same incident twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, TenantScoped, TimestampMixin, utcnow
from models.tenancy import JSONType


class AlertRule(IdMixin, TenantScoped, TimestampMixin, Base):
    __tablename__ = "alert_rules"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # threshold | anomaly | deployment
    metrics: Mapped[list[str]] = mapped_column(JSONType, default=list)
    op: Mapped[str | None] = mapped_column(String(2), nullable=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    severity: Mapped[str] = mapped_column(String(20))
    agent_id: Mapped[str | None] = mapped_column(String(200), nullable=True)  # None = every agent
    for_minutes: Mapped[int] = mapped_column(Integer, default=5)
    sensitivity: Mapped[str] = mapped_column(String(10), default="medium")
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(320), default="")
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Alert(IdMixin, TenantScoped, Base):
    __tablename__ = "alerts"
    __table_args__ = (
        Index(
            "uq_alerts_open_fingerprint",
            "tenant_id",
            "fingerprint",
            unique=True,
            postgresql_where=text("state <> 'resolved'"),
        ),
        Index("ix_alerts_tenant_created", "tenant_id", "created_at", "id"),
    )

    rule_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("alert_rules.id", ondelete="SET NULL"), nullable=True
    )
    fingerprint: Mapped[str] = mapped_column(String(300))
    group_key: Mapped[str] = mapped_column(String(300))
    agent_id: Mapped[str] = mapped_column(String(200), default="")
    metric: Mapped[str] = mapped_column(String(50), default="")
    kind: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="firing")  # firing | acknowledged | resolved
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    link: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
