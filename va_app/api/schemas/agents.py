"""Wire schemas of the agents API (agents, versions, deployments, experiments, templates).

Version content is not redefined here: ``VersionCreate`` is the domain's ``VersionSpec``, so
the API, the console and the templates validate one schema.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from va_app.api.schemas.common import Strict
from va_app.domain.agents.versions import VersionSpec

Environment = Literal["development", "staging", "production"]
Strategy = Literal["all", "canary", "gradual"]
PrimaryMetric = Literal["automation_rate", "error_rate", "handoff_rate", "latency_ms", "csat"]
Slug = Field(min_length=1, max_length=63, pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class AgentCreate(Strict):
    slug: str = Slug
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    brand: str | None = Field(default=None, max_length=100, description="brand or business unit tag")
    channels: list[str] = Field(default_factory=list, max_length=10)
    owner_id: uuid.UUID | None = Field(default=None, description="a member of the tenant; default: the caller")


class AgentUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    brand: str | None = Field(default=None, max_length=100)
    channels: list[str] | None = Field(default=None, max_length=10)
    owner_id: uuid.UUID | None = None


class AgentPublic(BaseModel):
    id: str
    slug: str
    name: str
    description: str
    brand: str | None
    channels: list[str]
    owner_id: str | None
    status: str
    template: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    archived_at: dt.datetime | None


class AgentsPublic(BaseModel):
    data: list[AgentPublic]
    count: int
    next_cursor: str | None


class VersionCreate(VersionSpec):
    """System prompt, greeting, model policy, temperature, knowledge bases, actions, guardrails, handoff rules."""


class VersionPublic(BaseModel):
    agent_id: str
    number: int
    system_prompt: str
    greeting: str
    model_policy: dict[str, Any]
    temperature: float
    knowledge_base_ids: list[str]
    allowed_actions: list[str]
    guardrails: dict[str, Any]
    handoff_rules: dict[str, Any]
    change_note: str
    created_by: str | None
    created_at: dt.datetime


class VersionsPublic(BaseModel):
    data: list[VersionPublic]
    count: int
    next_cursor: str | None


class VersionDiff(BaseModel):
    agent_id: str
    from_version: int
    to_version: int
    changes: list[dict[str, Any]]


class ScheduleStep(Strict):
    percent: int = Field(ge=1, le=100)
    hold_seconds: int = Field(default=600, ge=0, le=604800)


class ThresholdsIn(Strict):
    max_error_rate: float | None = Field(default=None, ge=0, le=1, description="absolute; default 0.02")
    max_error_rate_increase: float | None = Field(default=None, ge=0, le=1, description="vs stable; default 0.01")
    max_latency_p95_ratio: float | None = Field(default=None, ge=1, le=100, description="vs stable; default 1.5")
    max_handoff_rate_increase: float | None = Field(default=None, ge=0, le=1, description="vs stable; default 0.05")
    min_events: int | None = Field(default=None, ge=1, le=10_000_000, description="to judge; default 50")


class DeployRequest(Strict):
    version: int = Field(ge=1)
    environment: Environment
    strategy: Strategy = "all"
    percent: int | None = Field(default=None, ge=1, le=99, description="canary only")
    schedule: list[ScheduleStep] | None = Field(
        default=None, max_length=20, description="gradual only; default 5% -> 25% -> 50% -> 100%, 10 min per step"
    )
    thresholds: ThresholdsIn | None = None
    reason: str = Field(default="", max_length=2000)

    def strategy_kwargs(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "percent": self.percent,
            "schedule": [s.model_dump() for s in self.schedule] if self.schedule else None,
            "thresholds": self.thresholds.model_dump(exclude_none=True) if self.thresholds else None,
        }


class PromoteRequest(Strict):
    from_environment: Literal["development", "staging"]
    strategy: Strategy = "all"
    percent: int | None = Field(default=None, ge=1, le=99)
    schedule: list[ScheduleStep] | None = Field(default=None, max_length=20)
    thresholds: ThresholdsIn | None = None
    reason: str = Field(default="", max_length=2000)


class RollbackRequest(Strict):
    environment: Environment = "production"
    reason: str = Field(default="", max_length=2000)


class DeploymentPublic(BaseModel):
    id: str
    agent_id: str
    environment: str
    version_number: int
    stable_version_number: int | None
    strategy: str
    percent: int
    schedule: list[dict[str, Any]]
    thresholds: dict[str, Any]
    status: str
    reason: str
    step_index: int
    step_started_at: dt.datetime | None
    finished_at: dt.datetime | None
    created_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class EnvironmentsPublic(BaseModel):
    development: DeploymentPublic | None
    staging: DeploymentPublic | None
    production: DeploymentPublic | None


class AgentDetail(AgentPublic):
    latest_version: int | None
    environments: EnvironmentsPublic


class DeploymentEventPublic(BaseModel):
    id: str
    agent_id: str
    deployment_id: str | None
    environment: str
    kind: str
    from_version: int | None
    to_version: int | None
    percent: int | None
    reason: str
    actor_type: str
    actor_id: str | None
    actor_label: str
    details: dict[str, Any]
    created_at: dt.datetime


class DeploymentEventsPublic(BaseModel):
    data: list[DeploymentEventPublic]
    count: int
    next_cursor: str | None


class Variant(Strict):
    version: int = Field(ge=1)
    percent: int = Field(ge=1, le=99)


class ExperimentCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    environment: Environment = "production"
    variants: list[Variant] = Field(min_length=2, max_length=10, description="the first one is the control")
    primary_metric: PrimaryMetric = "automation_rate"
    hypothesis: str = Field(default="", max_length=2000)


class ExperimentPublic(BaseModel):
    id: str
    agent_id: str
    name: str
    hypothesis: str
    environment: str
    variants: list[dict[str, int]]
    primary_metric: str
    status: str
    winner_version: int | None
    started_at: dt.datetime
    stopped_at: dt.datetime | None
    stop_reason: str
    created_at: dt.datetime


class ExperimentsPublic(BaseModel):
    data: list[ExperimentPublic]
    count: int
    next_cursor: str | None


class ExperimentStop(Strict):
    promote_winner: bool = False
    version: int | None = Field(default=None, ge=1, description="promote this variant instead of the winner")
    reason: str = Field(default="", max_length=2000)


class FromTemplate(Strict):
    template_id: str = Field(min_length=1, max_length=63)
    slug: str = Slug
    name: str | None = Field(default=None, min_length=1, max_length=200)
    brand: str | None = Field(default=None, max_length=100)
    variant: str | None = Field(default=None, max_length=63, description="e.g. luxury, lifestyle, business, resort")
    variables: dict[str, str] = Field(default_factory=dict, max_length=50)
    description: str | None = Field(default=None, max_length=5000)
    channels: list[str] | None = Field(default=None, max_length=10)


class CloneRequest(Strict):
    slug: str = Slug
    name: str | None = Field(default=None, min_length=1, max_length=200)
    brand: str | None = Field(default=None, max_length=100)
    version: int | None = Field(default=None, ge=1, description="default: the latest version")
    target_tenant_id: uuid.UUID | None = Field(default=None, description="superadmins only: another tenant")


class CreatedAgent(BaseModel):
    agent: AgentPublic
    version: VersionPublic
    notes: list[str]


class HealthCheck(BaseModel):
    name: str
    ok: bool | None
    detail: str
    duration_ms: float


class AgentHealth(BaseModel):
    agent_id: str
    environment: str
    version: int | None
    status: Literal["healthy", "unhealthy"]
    checks: list[HealthCheck]
