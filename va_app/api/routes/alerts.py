"""Alert rules (threshold, anomaly, deployment) and alerts: list, acknowledge, resolve.

Reading needs ``analytics:read`` (viewers and up); changing rules and acting on alerts
needs ``alerts:write`` (admins and up). The rule schema is validated by the domain
(``va_app.domain.alerts.rules``) so the console accepts exactly the same rules.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from va_app.api.deps import PrincipalDep
from va_app.api.schemas.common import Strict
from va_app.domain.alerts import service

router = APIRouter(prefix="/alerts", tags=["alerts"])

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


class AlertRulePublic(BaseModel):
    id: str
    name: str
    kind: str
    severity: str
    metrics: list[str]
    op: str | None
    value: float | None
    agent_id: str | None
    for_minutes: int
    sensitivity: str
    params: dict[str, Any]
    enabled: bool
    is_default: bool
    created_by: str
    created_at: dt.datetime


class AlertRulesPublic(BaseModel):
    data: list[AlertRulePublic]
    count: int


class AlertPublic(BaseModel):
    id: str
    rule_id: str | None
    fingerprint: str
    group_key: str
    agent_id: str
    metric: str
    kind: str
    severity: str
    state: str
    title: str
    summary: str
    value: float | None
    threshold: float | None
    details: dict[str, Any]
    link: str = Field(description="console chart of the agent and metric around the incident")
    started_at: dt.datetime
    last_seen_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    resolved_at: dt.datetime | None
    resolved_by: str | None
    created_at: dt.datetime


class AlertsPublic(BaseModel):
    data: list[AlertPublic]
    count: int
    next_cursor: str | None


@router.get("/rules", response_model=AlertRulesPublic, summary="Alert rules (the platform defaults included)")
async def list_rules(principal: PrincipalDep) -> AlertRulesPublic:
    rules = [AlertRulePublic(**asdict(r)) for r in await service.list_rules(principal)]
    return AlertRulesPublic(data=rules, count=len(rules))


@router.post("/rules", status_code=201, response_model=AlertRulePublic, summary="Create a threshold/anomaly rule")
async def create_rule(body: AlertRuleCreate, principal: PrincipalDep) -> AlertRulePublic:
    view = await service.create_rule(principal, **body.model_dump())
    return AlertRulePublic(**asdict(view))


@router.delete("/rules/{rule_id}", status_code=204, summary="Delete a rule (its open alerts resolve)")
async def delete_rule(rule_id: uuid.UUID, principal: PrincipalDep) -> Response:
    await service.delete_rule(principal, rule_id)
    return Response(status_code=204)


@router.get("", response_model=AlertsPublic, summary="Alerts, newest first")
async def list_alerts(
    principal: PrincipalDep,
    state: Literal["open", "firing", "acknowledged", "resolved"] | None = None,
    severity: Severity | None = None,
    agent: Annotated[str | None, Query(max_length=200)] = None,
    group: Annotated[str | None, Query(max_length=300, description="group_key: one tenant+agent burst")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> AlertsPublic:
    views, next_cursor = await service.list_alerts(
        principal, state=state, severity=severity, agent_id=agent, group_key=group, limit=limit, cursor=cursor
    )
    data = [AlertPublic(**asdict(v)) for v in views]
    return AlertsPublic(data=data, count=len(data), next_cursor=next_cursor)


@router.post("/{alert_id}/ack", response_model=AlertPublic, summary="Acknowledge: someone is on it")
async def acknowledge(alert_id: uuid.UUID, principal: PrincipalDep) -> AlertPublic:
    return AlertPublic(**asdict(await service.acknowledge(principal, alert_id)))


@router.post("/{alert_id}/resolve", response_model=AlertPublic, summary="Resolve by hand")
async def resolve(alert_id: uuid.UUID, principal: PrincipalDep) -> AlertPublic:
    return AlertPublic(**asdict(await service.resolve(principal, alert_id)))
