"""Alert rules and alerts; every query is scoped by tenant (keyword-only arguments)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from models.agents import DeploymentEvent
from models.alerts import Alert, AlertRule
from models.base import utcnow
from models.tenancy import Tenant

Keyset = tuple[dt.datetime, uuid.UUID]
OPEN_STATES = ("firing", "acknowledged")


async def list_rules(*, session: AsyncSession, tenant_id: uuid.UUID, enabled_only: bool = False) -> list[AlertRule]:
    stmt = select(AlertRule).where(AlertRule.tenant_id == tenant_id, AlertRule.deleted_at.is_(None))
    if enabled_only:
        stmt = stmt.where(AlertRule.enabled.is_(True))
    return list((await session.execute(stmt.order_by(AlertRule.created_at, AlertRule.id))).scalars())


async def get_rule(*, session: AsyncSession, tenant_id: uuid.UUID, rule_id: uuid.UUID) -> AlertRule | None:
    stmt = select(AlertRule).where(
        AlertRule.tenant_id == tenant_id, AlertRule.id == rule_id, AlertRule.deleted_at.is_(None)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def has_default_rules(*, session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    """Also counts deleted defaults: a tenant that removed one does not get it back."""
    stmt = select(AlertRule.id).where(AlertRule.tenant_id == tenant_id, AlertRule.is_default.is_(True)).limit(1)
    return (await session.execute(stmt)).first() is not None


async def create_rule(*, session: AsyncSession, tenant_id: uuid.UUID, fields: dict[str, Any]) -> AlertRule:
    rule = AlertRule(tenant_id=tenant_id, **fields)
    session.add(rule)
    await session.flush()
    return rule


async def delete_rule(*, session: AsyncSession, tenant_id: uuid.UUID, rule_id: uuid.UUID) -> AlertRule | None:
    rule = await get_rule(session=session, tenant_id=tenant_id, rule_id=rule_id)
    if rule is not None:
        rule.deleted_at = utcnow()
        rule.enabled = False
        await session.flush()
    return rule


async def open_alerts(*, session: AsyncSession, tenant_id: uuid.UUID, lock: bool = False) -> list[Alert]:
    stmt = select(Alert).where(Alert.tenant_id == tenant_id, Alert.state.in_(OPEN_STATES))
    if lock:
        stmt = stmt.with_for_update(skip_locked=True)
    return list((await session.execute(stmt)).scalars())


async def create_alert(*, session: AsyncSession, tenant_id: uuid.UUID, fields: dict[str, Any]) -> Alert:
    alert = Alert(tenant_id=tenant_id, **fields)
    session.add(alert)
    await session.flush()
    return alert


async def get_alert(
    *, session: AsyncSession, tenant_id: uuid.UUID, alert_id: uuid.UUID, lock: bool = False
) -> Alert | None:
    stmt = select(Alert).where(Alert.tenant_id == tenant_id, Alert.id == alert_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_alerts(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    states: Sequence[str] | None = None,
    severity: str | None = None,
    agent_id: str | None = None,
    group_key: str | None = None,
    after: Keyset | None = None,
    limit: int = 50,
) -> list[Alert]:
    """Newest first, keyset-paged on (created_at, id)."""
    stmt = select(Alert).where(Alert.tenant_id == tenant_id)
    if states:
        stmt = stmt.where(Alert.state.in_(list(states)))
    if severity is not None:
        stmt = stmt.where(Alert.severity == severity)
    if agent_id is not None:
        stmt = stmt.where(Alert.agent_id == agent_id)
    if group_key is not None:
        stmt = stmt.where(Alert.group_key == group_key)
    if after is not None:
        stmt = stmt.where(tuple_(Alert.created_at, Alert.id) < after)
    stmt = stmt.order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def recent_deployment_failures(
    *, session: AsyncSession, tenant_id: uuid.UUID, kinds: Sequence[str], since: dt.datetime
) -> list[DeploymentEvent]:
    stmt = (
        select(DeploymentEvent)
        .where(
            DeploymentEvent.tenant_id == tenant_id,
            DeploymentEvent.kind.in_(list(kinds)),
            DeploymentEvent.created_at >= since,
        )
        .order_by(DeploymentEvent.created_at.desc())
    )
    return list((await session.execute(stmt)).scalars())


async def active_tenant_ids(*, session: AsyncSession) -> list[uuid.UUID]:
    """Every active tenant (the evaluator's work list; not tenant-scoped by design)."""
    stmt = select(Tenant.id).where(Tenant.is_active.is_(True)).order_by(Tenant.id)
    return list((await session.execute(stmt)).scalars())


async def try_lock_tenant(*, session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    """A transaction-scoped advisory lock: one evaluator replica per tenant at a time."""
    row = await session.execute(
        text("SELECT pg_try_advisory_xact_lock(hashtext(:key))"), {"key": f"alerts:{tenant_id}"}
    )
    return bool(row.scalar())


async def lock_tenant(*, session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Wait for the tenant's alert lock (seeding default rules must not run twice)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"alerts-rules:{tenant_id}"})
