"""Wire schemas of ``/webhooks``: outbound subscriptions and their delivery log."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from pydantic.dataclasses import dataclass

from va_app.api.schemas.common import Listing, Strict
from va_app.domain.integrations.outbound import DeliveryView, SubscriptionView


class SubscriptionCreate(Strict):
    url: str = Field(min_length=8, max_length=2000)
    event_types: list[Annotated[str, Field(max_length=100)]] = Field(
        min_length=1, max_length=50, description="conversation, agent, alert, budget (families or exact types) or *"
    )


@dataclass(frozen=True)
class SubscriptionPublic(SubscriptionView):
    secret: Annotated[str | None, Field(description="signing secret: only in the create answer")] = None


class SubscriptionsPublic(Listing[SubscriptionPublic]):
    pass


@dataclass(frozen=True)
class DeliveryPublic(DeliveryView):
    pass


class DeliveriesPublic(Listing[DeliveryPublic]):
    pass
