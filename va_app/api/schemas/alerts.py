"""Wire schemas of ``/alerts``: rules (threshold, anomaly, deployment) and the alerts they raise.

The rule a caller sends is validated again by the domain (``va_app.domain.alerts.rules``), so
the console accepts exactly the same rules; what the API shows are the domain's views.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from pydantic.dataclasses import dataclass

from va_app.api.schemas.common import Listing, Page, Strict
from va_app.domain.alerts.rules import RuleView
from va_app.domain.alerts.service import AlertView

Severity = Literal["info", "warning", "critical"]


class AlertRuleCreate(Strict):
    kind: Literal["threshold", "anomaly", "deployment"]
    name: str | None = Field(default=None, min_length=1, max_length=200)
    severity: Severity = "warning"
    metric: str | None = Field(default=None, max_length=50, description="threshold: the KPI watched")
    metrics: list[Annotated[str, Field(max_length=50)]] | None = Field(
        default=None, max_length=10, description="anomaly: the KPIs watched"
    )
    op: Literal[">", ">=", "<", "<="] | None = None
    value: float | None = None
    agent_id: str | None = Field(default=None, max_length=200, description="only this agent; default every agent")
    for_minutes: int = Field(default=5, ge=1, le=1440, description="threshold: the KPI over the last N minutes")
    sensitivity: Literal["low", "medium", "high"] = "medium"
    min_change: float | None = Field(default=None, ge=0, le=100, description="anomaly: e.g. 0.2 = 20 % off expected")
    min_events: int | None = Field(default=None, ge=0, le=1_000_000, description="threshold: ignore quieter windows")
    window_minutes: int | None = Field(default=None, ge=1, le=10080, description="deployment: look-back")
    email_to: list[Annotated[str, Field(max_length=320)]] | None = Field(
        default=None, max_length=20, description="also e-mail these addresses (needs EMAIL__SMTP_HOST)"
    )
    slack_channel: str | None = Field(
        default=None, max_length=80, description="post to this channel of the tenant's Slack integration"
    )


@dataclass(frozen=True)
class AlertRulePublic(RuleView):
    pass


class AlertRulesPublic(Listing[AlertRulePublic]):
    pass


@dataclass(frozen=True)
class AlertPublic(AlertView):
    link: Annotated[str, Field(description="console chart of the agent and metric around the incident")]


class AlertsPublic(Page[AlertPublic]):
    pass
