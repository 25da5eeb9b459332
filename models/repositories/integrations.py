"""Integrations, outbound webhook subscriptions and their deliveries. Every function is
tenant-scoped except the delivery worker's claim, which works across tenants by design (one
queue for the platform) and returns rows that carry their own tenant id."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from models.integrations import Integration, WebhookDelivery, WebhookSubscription

OPEN_STATUSES = ("pending", "retrying")


async def create_integration(
    *, session: AsyncSession, tenant_id: uuid.UUID, kind: str, name: str, credentials_enc: str, config: dict[str, Any]
) -> Integration:
    row = Integration(tenant_id=tenant_id, kind=kind, name=name, credentials_enc=credentials_enc, config=config)
    session.add(row)
    await session.flush()
    return row


async def list_integrations(*, session: AsyncSession, tenant_id: uuid.UUID) -> list[Integration]:
    stmt = (
        select(Integration).where(Integration.tenant_id == tenant_id).order_by(Integration.created_at, Integration.id)
    )
    return list((await session.execute(stmt)).scalars())


async def get_integration(
    *, session: AsyncSession, tenant_id: uuid.UUID, integration_id: uuid.UUID
) -> Integration | None:
    stmt = select(Integration).where(Integration.tenant_id == tenant_id, Integration.id == integration_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_integration_by_id(*, session: AsyncSession, integration_id: uuid.UUID) -> Integration | None:
    """Inbound webhooks name only the integration: its signature, checked next, proves the tenant."""
    return (await session.execute(select(Integration).where(Integration.id == integration_id))).scalar_one_or_none()


async def delete_integration(*, session: AsyncSession, tenant_id: uuid.UUID, integration_id: uuid.UUID) -> bool:
    row = await get_integration(session=session, tenant_id=tenant_id, integration_id=integration_id)
    if row is None:
        return False
    await session.delete(row)
    return True


async def record_integration_event(
    *, session: AsyncSession, tenant_id: uuid.UUID, integration_id: uuid.UUID, error: str | None = None
) -> None:
    """Count one processed event (or one failure) for the sync-status view."""
    now = dt.datetime.now(dt.UTC)
    values: dict[str, Any] = {"last_event_at": now, "events_received": Integration.events_received + 1}
    if error is None:
        values |= {"last_sync_at": now, "status": "connected"}
    else:
        values |= {"last_error": error[:2000], "error_count": Integration.error_count + 1, "status": "error"}
    await session.execute(
        update(Integration).where(Integration.tenant_id == tenant_id, Integration.id == integration_id).values(**values)
    )


async def create_subscription(
    *, session: AsyncSession, tenant_id: uuid.UUID, url: str, event_types: list[str], secret_enc: str
) -> WebhookSubscription:
    row = WebhookSubscription(tenant_id=tenant_id, url=url, event_types=event_types, secret_enc=secret_enc)
    session.add(row)
    await session.flush()
    return row


async def list_subscriptions(
    *, session: AsyncSession, tenant_id: uuid.UUID, active_only: bool = False
) -> list[WebhookSubscription]:
    stmt = select(WebhookSubscription).where(WebhookSubscription.tenant_id == tenant_id)
    if active_only:
        stmt = stmt.where(WebhookSubscription.is_active.is_(True))
    return list((await session.execute(stmt.order_by(WebhookSubscription.created_at))).scalars())


async def get_subscription(
    *, session: AsyncSession, tenant_id: uuid.UUID, subscription_id: uuid.UUID
) -> WebhookSubscription | None:
    stmt = select(WebhookSubscription).where(
        WebhookSubscription.tenant_id == tenant_id, WebhookSubscription.id == subscription_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def delete_subscription(*, session: AsyncSession, tenant_id: uuid.UUID, subscription_id: uuid.UUID) -> bool:
    row = await get_subscription(session=session, tenant_id=tenant_id, subscription_id=subscription_id)
    if row is None:
        return False
    await session.delete(row)
    return True


async def add_deliveries(*, session: AsyncSession, rows: list[WebhookDelivery]) -> int:
    """Insert, skipping (subscription, event) pairs that already have a delivery: the bus may
    hand the fan-out the same batch twice. Returns how many were new."""
    if not rows:
        return 0
    values = [
        {
            "id": uuid.uuid4(),
            "tenant_id": r.tenant_id,
            "subscription_id": r.subscription_id,
            "event_id": r.event_id,
            "event_type": r.event_type,
            "payload": r.payload,
            "status": r.status or "pending",
            "attempts": 0,
        }
        for r in rows
    ]
    stmt = (
        pg_insert(WebhookDelivery)
        .values(values)
        .on_conflict_do_nothing(index_elements=["subscription_id", "event_id"])
        .returning(WebhookDelivery.id)
    )
    return len((await session.execute(stmt)).all())


async def list_deliveries(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    subscription_id: uuid.UUID | None = None,
    status: str | None = None,
    limit: int = 50,
    before: dt.datetime | None = None,
) -> list[WebhookDelivery]:
    stmt = select(WebhookDelivery).where(WebhookDelivery.tenant_id == tenant_id)
    if subscription_id is not None:
        stmt = stmt.where(WebhookDelivery.subscription_id == subscription_id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    if before is not None:
        stmt = stmt.where(WebhookDelivery.created_at < before)
    stmt = stmt.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def get_delivery(
    *, session: AsyncSession, tenant_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    stmt = select(WebhookDelivery).where(WebhookDelivery.tenant_id == tenant_id, WebhookDelivery.id == delivery_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def claim_due_deliveries(
    *, session: AsyncSession, now: dt.datetime, limit: int
) -> list[tuple[WebhookDelivery, WebhookSubscription]]:
    """Due deliveries of active subscriptions, locked (SKIP LOCKED) so replicas never send one twice."""
    stmt = (
        select(WebhookDelivery, WebhookSubscription)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(
            WebhookDelivery.status.in_(OPEN_STATUSES),
            or_(WebhookDelivery.next_attempt_at.is_(None), WebhookDelivery.next_attempt_at <= now),
            WebhookSubscription.is_active.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at.nulls_first(), WebhookDelivery.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    )
    return [(d, s) for d, s in (await session.execute(stmt)).tuples()]


async def backlog_by_tenant(*, session: AsyncSession, tenant_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(WebhookDelivery.tenant_id == tenant_id, WebhookDelivery.status.in_(OPEN_STATUSES))
    return int((await session.execute(stmt)).scalar_one())
