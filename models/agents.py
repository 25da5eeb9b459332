"""Agents, their immutable versions and where each version runs."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, TenantScoped, TimestampMixin
from models.tenancy import JSONType


class Agent(IdMixin, TenantScoped, TimestampMixin, Base):
    __tablename__ = "agents"
    __table_args__ = (UniqueConstraint("tenant_id", "slug", name="uq_agents_tenant_slug"),)

    slug: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    brand: Mapped[str | None] = mapped_column(String(100), nullable=True)
    channels: Mapped[list[str]] = mapped_column(JSONType, default=list)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    template: Mapped[str | None] = mapped_column(String(63), nullable=True)
    archived_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AgentVersion(IdMixin, TenantScoped, Base):
    """Immutable once created: nothing updates a row of this table."""

    __tablename__ = "agent_versions"
    __table_args__ = (UniqueConstraint("agent_id", "number", name="uq_agent_versions_agent_number"),)

    agent_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    system_prompt: Mapped[str] = mapped_column(Text, default="")
    greeting: Mapped[str] = mapped_column(Text, default="")
    model_policy: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    temperature: Mapped[float] = mapped_column(Float, default=0.2)
    knowledge_base_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    allowed_actions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    guardrails: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    handoff_rules: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    change_note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Deployment(IdMixin, TenantScoped, TimestampMixin, Base):
    """One row per (agent, environment) rollout; history is kept, the newest is current."""

    __tablename__ = "deployments"

    agent_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    environment: Mapped[str] = mapped_column(String(20))
    version_number: Mapped[int] = mapped_column(Integer)
    stable_version_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    strategy: Mapped[str] = mapped_column(String(20), default="all")
    percent: Mapped[int] = mapped_column(Integer, default=100)
    schedule: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="active")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
