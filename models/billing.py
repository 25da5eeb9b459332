"""Spending limits; live counters live in Redis, the limits themselves here."""

from __future__ import annotations

from sqlalchemy import Boolean, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, TenantScoped, TimestampMixin


class Budget(IdMixin, TenantScoped, TimestampMixin, Base):
    __tablename__ = "budgets"

    scope: Mapped[str] = mapped_column(String(20))  # tenant | key | agent
    scope_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    period: Mapped[str] = mapped_column(String(10))  # daily | monthly
    limit_usd: Mapped[float] = mapped_column(Numeric(14, 6))
    hard: Mapped[bool] = mapped_column(Boolean, default=True)
