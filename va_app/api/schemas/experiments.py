"""Wire schemas of an agent's A/B experiments."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic.dataclasses import dataclass

from va_app.api.schemas.common import Page, Strict
from va_app.api.schemas.deployments import Environment
from va_app.domain.agents.experiments import ExperimentInfo

PrimaryMetric = Literal["automation_rate", "error_rate", "handoff_rate", "latency_ms", "csat"]


class Variant(Strict):
    version: int = Field(ge=1)
    percent: int = Field(ge=1, le=99)


class ExperimentCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    environment: Environment = "production"
    variants: list[Variant] = Field(min_length=2, max_length=10, description="the first one is the control")
    primary_metric: PrimaryMetric = "automation_rate"
    hypothesis: str = Field(default="", max_length=2000)


@dataclass(frozen=True)
class ExperimentPublic(ExperimentInfo):
    pass


class ExperimentsPublic(Page[ExperimentPublic]):
    pass


class ExperimentStop(Strict):
    promote_winner: bool = False
    version: int | None = Field(default=None, ge=1, description="promote this variant instead of the winner")
    reason: str = Field(default="", max_length=2000)
