"""Wire schemas of an agent's deployments: deploy, promote, rollback, environments, history, health."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic.dataclasses import dataclass

from va_app.api.schemas.common import Page, Strict
from va_app.domain.agents.deployments import DeploymentEventInfo, DeploymentInfo
from va_app.domain.agents.health import Check
from va_app.domain.agents.resolver import Environment

Strategy = Literal["all", "canary", "gradual"]


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


@dataclass(frozen=True)
class DeploymentPublic(DeploymentInfo):
    pass


class EnvironmentsPublic(BaseModel):
    development: DeploymentPublic | None
    staging: DeploymentPublic | None
    production: DeploymentPublic | None


@dataclass(frozen=True)
class DeploymentEventPublic(DeploymentEventInfo):
    pass


class DeploymentEventsPublic(Page[DeploymentEventPublic]):
    pass


@dataclass(frozen=True)
class HealthCheck(Check):
    duration_ms: float = Field()  # always present in an answer: required on the wire


class AgentHealth(BaseModel):
    agent_id: str
    environment: str
    version: int | None
    status: Literal["healthy", "unhealthy"]
    checks: list[HealthCheck]
