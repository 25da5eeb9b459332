"""Alert rules (threshold, anomaly, deployment) and alerts: list, acknowledge, resolve.

Reading needs ``analytics:read`` (viewers and up); changing rules and acting on alerts
needs ``alerts:write`` (admins and up). The rule schema is validated by the domain
(``va_app.domain.alerts.rules``) so the console accepts exactly the same rules.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from va_app.api.deps import PrincipalDep
from va_app.api.schemas.alerts import (
    AlertPublic,
    AlertRuleCreate,
    AlertRulePublic,
    AlertRulesPublic,
    AlertsPublic,
    Severity,
)
from va_app.domain.alerts import service

router = APIRouter(prefix="/alerts", tags=["alerts"])


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
