"""Alert rules and alerts for people: list, create, delete, acknowledge, resolve.

Reading needs ``analytics:read``; changing rules and acting on alerts needs
``alerts:write``. Rule changes, acknowledgements and manual resolves are audited;
acknowledging and resolving also notify (after commit), like the evaluator's transitions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import db
from models.alerts import Alert, AlertRule
from models.base import utcnow
from models.repositories import alerts as repo
from va_app.domain.alerts import notify
from va_app.domain.alerts.rules import SEVERITIES, RuleView, default_rules, validate_rule
from va_app.domain.errors import Conflict, InvalidInput, NotFound
from va_app.domain.identity.audit import audit
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.pagination import decode_cursor, encode_cursor

STATES = ("firing", "acknowledged", "resolved")


@dataclass(frozen=True)
class AlertView:
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
    link: str
    started_at: dt.datetime
    last_seen_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    resolved_at: dt.datetime | None
    resolved_by: str | None
    created_at: dt.datetime


def rule_view(rule: AlertRule) -> RuleView:
    return RuleView(
        id=str(rule.id),
        name=rule.name,
        kind=rule.kind,
        severity=rule.severity,
        metrics=list(rule.metrics or []),
        op=rule.op,
        value=rule.value,
        agent_id=rule.agent_id,
        for_minutes=rule.for_minutes,
        sensitivity=rule.sensitivity,
        params=dict(rule.params or {}),
        enabled=rule.enabled,
        is_default=rule.is_default,
        created_by=rule.created_by,
        created_at=rule.created_at,
    )


def alert_view(alert: Alert) -> AlertView:
    return AlertView(
        id=str(alert.id),
        rule_id=str(alert.rule_id) if alert.rule_id else None,
        **{
            k: getattr(alert, k)
            for k in (
                "fingerprint",
                "group_key",
                "agent_id",
                "metric",
                "kind",
                "severity",
                "state",
                "title",
                "summary",
                "value",
                "threshold",
                "details",
                "link",
                "started_at",
                "last_seen_at",
                "acknowledged_at",
                "acknowledged_by",
                "resolved_at",
                "resolved_by",
                "created_at",
            )
        },
    )


def notification(alert: Alert, transition: str, actor: str = "alert-evaluator") -> notify.AlertNotification:
    return notify.AlertNotification(
        tenant_id=str(alert.tenant_id),
        alert_id=str(alert.id),
        transition=transition,
        state=alert.state,
        severity=alert.severity,
        kind=alert.kind,
        title=alert.title,
        summary=alert.summary,
        rule_id=str(alert.rule_id) if alert.rule_id else None,
        agent_id=alert.agent_id,
        metric=alert.metric,
        group_key=alert.group_key,
        value=alert.value,
        threshold=alert.threshold,
        link=alert.link,
        started_at=alert.started_at,
        at=utcnow(),
        actor=actor,
    )


async def ensure_default_rules(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Create the platform's default rules the first time a tenant's rules are needed."""
    if await repo.has_default_rules(session=session, tenant_id=tenant_id):
        return
    await repo.lock_tenant(session=session, tenant_id=tenant_id)
    if await repo.has_default_rules(session=session, tenant_id=tenant_id):
        return
    for spec in default_rules():
        await repo.create_rule(
            session=session,
            tenant_id=tenant_id,
            fields={**spec.as_fields(), "is_default": True, "created_by": "platform default"},
        )


async def list_rules(principal: Principal) -> list[RuleView]:
    principal.require(Perm.ANALYTICS_READ)
    async with db.session_scope() as session:
        await ensure_default_rules(session, principal.tenant_id)
        rules = await repo.list_rules(session=session, tenant_id=principal.tenant_id)
        return [rule_view(r) for r in rules]


async def create_rule(principal: Principal, **fields: Any) -> RuleView:
    principal.require(Perm.ALERTS_WRITE)
    spec = validate_rule(**fields)
    async with db.session_scope() as session:
        await ensure_default_rules(session, principal.tenant_id)
        rule = await repo.create_rule(
            session=session,
            tenant_id=principal.tenant_id,
            fields={**spec.as_fields(), "created_by": principal.label},
        )
        view = rule_view(rule)
        await audit(session, principal, "alert_rule.created", "alert_rule", rule.id, after=asdict(view))
        return view


async def delete_rule(principal: Principal, rule_id: uuid.UUID) -> None:
    """Soft delete: the rule stops firing (its open alerts resolve on the next evaluation)."""
    principal.require(Perm.ALERTS_WRITE)
    async with db.session_scope() as session:
        rule = await repo.delete_rule(session=session, tenant_id=principal.tenant_id, rule_id=rule_id)
        if rule is None:
            raise NotFound("alert rule not found")
        await audit(session, principal, "alert_rule.deleted", "alert_rule", rule.id, before=asdict(rule_view(rule)))


async def list_alerts(
    principal: Principal,
    *,
    state: str | None = None,
    severity: str | None = None,
    agent_id: str | None = None,
    group_key: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[AlertView], str | None]:
    principal.require(Perm.ANALYTICS_READ)
    states = None
    if state is not None:
        states = ["firing", "acknowledged"] if state == "open" else [state]
        if any(s not in STATES for s in states):
            raise InvalidInput(f"state must be 'open' or one of {STATES}")
    if severity is not None and severity not in SEVERITIES:
        raise InvalidInput(f"severity must be one of {SEVERITIES}")
    after = decode_cursor(cursor) if cursor else None
    async with db.session_scope() as session:
        rows = await repo.list_alerts(
            session=session,
            tenant_id=principal.tenant_id,
            states=states,
            severity=severity,
            agent_id=agent_id,
            group_key=group_key,
            after=after,
            limit=limit + 1,
        )
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return [alert_view(a) for a in rows[:limit]], next_cursor


async def acknowledge(principal: Principal, alert_id: uuid.UUID) -> AlertView:
    """firing -> acknowledged; acknowledging twice is harmless, a resolved alert is 409."""
    principal.require(Perm.ALERTS_WRITE)
    note = None
    async with db.session_scope() as session:
        alert = await repo.get_alert(session=session, tenant_id=principal.tenant_id, alert_id=alert_id, lock=True)
        if alert is None:
            raise NotFound("alert not found")
        if alert.state == "resolved":
            raise Conflict("the alert is already resolved", code="alert_resolved")
        if alert.state == "firing":
            before = {"state": alert.state}
            alert.state = "acknowledged"
            alert.acknowledged_at = utcnow()
            alert.acknowledged_by = principal.label
            await session.flush()
            await audit(
                session,
                principal,
                "alert.acknowledged",
                "alert",
                alert.id,
                before=before,
                after={"state": "acknowledged"},
            )
            note = notification(alert, "acknowledged", principal.label)
        view = alert_view(alert)
    if note is not None:
        await notify.deliver([note])
    return view


async def resolve(principal: Principal, alert_id: uuid.UUID) -> AlertView:
    """Resolve by hand (the condition may come back: then a new alert opens)."""
    principal.require(Perm.ALERTS_WRITE)
    async with db.session_scope() as session:
        alert = await repo.get_alert(session=session, tenant_id=principal.tenant_id, alert_id=alert_id, lock=True)
        if alert is None:
            raise NotFound("alert not found")
        if alert.state == "resolved":
            raise Conflict("the alert is already resolved", code="alert_resolved")
        before = {"state": alert.state}
        alert.state = "resolved"
        alert.resolved_at = utcnow()
        alert.resolved_by = principal.label
        await session.flush()
        await audit(session, principal, "alert.resolved", "alert", alert.id, before=before, after={"state": "resolved"})
        note = notification(alert, "resolved", principal.label)
        view = alert_view(alert)
    await notify.deliver([note])
    return view
