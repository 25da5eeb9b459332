"""Outbound webhook subscriptions and their delivery log (signed ``X-VA-Signature`` deliveries)."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from va_app.api.deps import PrincipalDep
from va_app.api.schemas.webhooks import (
    DeliveriesPublic,
    DeliveryPublic,
    SubscriptionCreate,
    SubscriptionPublic,
    SubscriptionsPublic,
)
from va_app.domain.integrations import outbound

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.post("/subscriptions", status_code=201, response_model=SubscriptionPublic, summary="Subscribe a URL")
async def create_subscription(body: SubscriptionCreate, principal: PrincipalDep) -> SubscriptionPublic:
    view = await outbound.create_subscription(principal, url=body.url, event_types=body.event_types)
    return SubscriptionPublic(**asdict(view))


@router.get("/subscriptions", response_model=SubscriptionsPublic, summary="Subscriptions (no secrets)")
async def list_subscriptions(principal: PrincipalDep) -> SubscriptionsPublic:
    views = [SubscriptionPublic(**asdict(v)) for v in await outbound.list_subscriptions(principal)]
    return SubscriptionsPublic(data=views, count=len(views))


@router.delete("/subscriptions/{subscription_id}", status_code=204, summary="Unsubscribe")
async def delete_subscription(subscription_id: uuid.UUID, principal: PrincipalDep) -> Response:
    await outbound.delete_subscription(principal, subscription_id)
    return Response(status_code=204)


@router.get("/deliveries", response_model=DeliveriesPublic, summary="Delivery log, newest first")
async def list_deliveries(
    principal: PrincipalDep,
    subscription_id: uuid.UUID | None = None,
    status: Literal["pending", "retrying", "delivered", "failed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveriesPublic:
    views = await outbound.list_deliveries(principal, subscription_id=subscription_id, status=status, limit=limit)
    rows = [DeliveryPublic(**asdict(v)) for v in views]
    return DeliveriesPublic(data=rows, count=len(rows))


@router.post("/deliveries/{delivery_id}/redeliver", response_model=DeliveryPublic, summary="Send again now")
async def redeliver(delivery_id: uuid.UUID, principal: PrincipalDep) -> DeliveryPublic:
    return DeliveryPublic(**asdict(await outbound.redeliver(principal, delivery_id)))
