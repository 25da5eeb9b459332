"""Agents, their immutable versions and where each version runs."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid, text
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
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    # rollout state (0003): which schedule step runs and since when; set when the row stops changing
    step_index: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    step_started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class DeploymentEvent(IdMixin, TenantScoped, Base):
    """Append-only history of every deployment transition: who, when, why (0003)."""

    __tablename__ = "deployment_events"
    __table_args__ = (Index("ix_deployment_events_agent_time", "agent_id", "created_at"),)

    agent_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("agents.id", ondelete="CASCADE"))
    deployment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    environment: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(40))
    from_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    to_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    percent: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    actor_label: Mapped[str] = mapped_column(String(320))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Experiment(IdMixin, TenantScoped, TimestampMixin, Base):
    """An A/B test between versions of one agent in one environment (0003).

    While running it decides the traffic split of its environment; at most one runs per
    agent and environment (partial unique index).
    """

    __tablename__ = "agent_experiments"
    __table_args__ = (
        Index(
            "uq_agent_experiments_running",
            "agent_id",
            "environment",
            unique=True,
            postgresql_where=text("status = 'running'"),
        ),
    )

    agent_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    hypothesis: Mapped[str] = mapped_column(Text, default="")
    environment: Mapped[str] = mapped_column(String(20))
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    primary_metric: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="running")
    winner_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    stopped_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    stop_reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
