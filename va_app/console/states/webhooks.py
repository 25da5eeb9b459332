"""State of the webhooks page: outbound subscriptions (signing secret shown once) and the delivery log.

A new subscription's signing secret is held in ``new_secret`` only until its dialog closes,
like a new API key: the server stores it encrypted and never returns it again. The delivery
log refreshes itself while the page is open (``LiveState``: the reads run outside the state
lock), so a pending delivery turns delivered or retrying without a reload.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any, ClassVar, TypedDict

import reflex as rx
from reflex.event import EventSpec

from va_app.console import routes
from va_app.console.states.auth import AuthState, error_text
from va_app.console.states.formatting import stamp
from va_app.console.states.live import LiveState, failure_text
from va_app.domain.errors import DomainError
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.integrations.outbound import (
    FAMILIES,
    create_subscription,
    delete_subscription,
    list_deliveries,
    list_subscriptions,
)
from va_app.domain.integrations.outbound import (
    redeliver as queue_redelivery,
)

REFRESH_S = 5.0
LOG_SIZE = 100
STATUSES = ["all", "pending", "retrying", "delivered", "failed"]
# The event families a subscription can take whole, offered as checkboxes in the create dialog.
FAMILY_HINTS = {
    "conversation": "conversation.turn, conversation.handoff",
    "agent": "agent.version.*, deployments, rollouts",
    "alert": "alert.firing, alert.acknowledged, alert.resolved",
    "budget": "budget.threshold",
}


class SubscriptionRow(TypedDict):
    """One subscription as the table shows it: never its secret."""

    id: str
    url: str
    event_types: list[str]
    active: bool
    failures: int
    disabled_reason: str
    last_success: str
    created: str


class DeliveryRow(TypedDict):
    """One delivery attempt record of the log."""

    id: str
    url: str
    event_type: str
    event_id: str
    status: str
    attempts: int
    response_status: str
    response_ms: str
    created: str
    when: str  # delivered at, or the next attempt
    last_error: str


def _sub_row(view: Any) -> SubscriptionRow:
    return SubscriptionRow(
        id=view.id,
        url=view.url,
        event_types=list(view.event_types),
        active=view.is_active,
        failures=view.consecutive_failures,
        disabled_reason=view.disabled_reason or "",
        last_success=stamp(view.last_success_at),
        created=stamp(view.created_at),
    )


def _delivery_row(view: Any, urls: dict[str, str]) -> DeliveryRow:
    if view.status == "delivered" and view.delivered_at is not None:
        when = "delivered " + stamp(view.delivered_at)
    elif view.status in ("pending", "retrying"):
        when = "next try " + stamp(view.next_attempt_at) if view.next_attempt_at is not None else "queued now"
    elif view.status == "failed":
        when = "gave up"
    else:
        when = ""
    return DeliveryRow(
        id=view.id,
        url=urls.get(view.subscription_id, "(deleted subscription)"),
        event_type=view.event_type,
        event_id=view.event_id,
        status=view.status,
        attempts=view.attempts,
        response_status=str(view.response_status) if view.response_status is not None else "—",
        response_ms=f"{view.response_ms:.0f} ms" if view.response_ms is not None else "—",
        created=stamp(view.created_at),
        when=when,
        last_error=view.last_error or "",
    )


def event_types_from(form: dict[str, Any]) -> list[str]:
    """Checked families (or everything) plus any exact types typed in, comma-separated."""
    if str(form.get("all_events", "")) == "on":
        return ["*"]
    chosen = [f for f in FAMILIES if str(form.get(f"family_{f}", "")) == "on"]
    extra = [t.strip() for t in re.split(r"[,\s]+", str(form.get("extra_types", ""))) if t.strip()]
    return [*chosen, *extra]


class WebhooksState(LiveState, AuthState):
    """Subscriptions, the delivery log and its filter, and the create / secret / delete dialogs."""

    LIVE_ROUTE: ClassVar[str] = routes.WEBHOOKS
    LIVE_INTERVAL_S: ClassVar[float] = REFRESH_S

    subscriptions: rx.Field[list[SubscriptionRow]] = rx.field(default_factory=list)
    deliveries: rx.Field[list[DeliveryRow]] = rx.field(default_factory=list)
    status_filter: rx.Field[str] = rx.field("all")
    loaded: rx.Field[bool] = rx.field(False)
    load_error: rx.Field[str] = rx.field("")
    refresh_error: rx.Field[str] = rx.field("")

    create_open: rx.Field[bool] = rx.field(False)
    create_error: rx.Field[str] = rx.field("")
    new_secret: rx.Field[str] = rx.field("")
    new_secret_url: rx.Field[str] = rx.field("")

    pending_id: rx.Field[str] = rx.field("")
    pending_url: rx.Field[str] = rx.field("")
    redelivering_id: rx.Field[str] = rx.field("")

    @rx.var
    def can_write(self) -> bool:
        """Show create, delete and redeliver (the services check ``integrations:write`` again)."""
        return Perm.INTEGRATIONS_WRITE.value in self.permissions

    @rx.var
    def secret_open(self) -> bool:
        return self.new_secret != ""

    @rx.var
    def confirm_open(self) -> bool:
        return self.pending_id != ""

    async def _fetch(self, principal: Any, status: str) -> tuple[list[SubscriptionRow], list[DeliveryRow]]:
        subs = await list_subscriptions(principal)
        log = await list_deliveries(
            principal, subscription_id=None, status=None if status == "all" else status, limit=LOG_SIZE
        )
        urls = {s.id: s.url for s in subs}
        return [_sub_row(s) for s in subs], [_delivery_row(d, urls) for d in log]

    def _apply(self, subs: list[SubscriptionRow], log: list[DeliveryRow]) -> None:
        self.subscriptions, self.deliveries = subs, log
        self.loaded, self.load_error, self.refresh_error = True, "", ""

    async def _reload(self) -> EventSpec | None:
        try:
            self._apply(*await self._fetch(await self._principal(), self.status_filter))
        except DomainError as exc:
            return self._failed(exc)
        return None

    def _live_begin(self) -> str:
        return self.status_filter

    async def _live_read(self, principal: Principal, begun: str) -> tuple[list[SubscriptionRow], list[DeliveryRow]]:
        return await self._fetch(principal, begun)

    def _live_apply(self, reading: tuple[list[SubscriptionRow], list[DeliveryRow]], begun: str) -> bool:
        if begun == self.status_filter:  # the filter did not change meanwhile
            self._apply(*reading)
        return True

    def _live_failed(self, exc: Exception) -> bool:
        """A lost permission ends the refresh; a database briefly away keeps the last reading."""
        self.loaded = True
        if isinstance(exc, DomainError) and exc.code == "permission_denied":
            self.load_error, self.subscriptions, self.deliveries = error_text(exc), [], []
            return False
        self.refresh_error = failure_text(exc, "the webhooks", REFRESH_S)
        return True

    @rx.event
    async def set_status_filter(self, value: str) -> EventSpec | None:
        self.status_filter = value if value in STATUSES else "all"
        return await self._reload()

    @rx.event
    def set_create_open(self, value: bool) -> None:
        self.create_open, self.create_error = value, ""

    @rx.event
    async def create(self, form: dict[str, Any]) -> EventSpec | None:
        """Subscribe a URL and show its signing secret once."""
        url = str(form.get("url", "")).strip()
        types = event_types_from(form)
        if not url:
            self.create_error = "Enter the URL that receives the events."
            return None
        if not types:
            self.create_error = "Pick at least one event family, or all events."
            return None
        try:
            created = await create_subscription(await self._principal(), url=url, event_types=types)
        except DomainError as exc:
            if exc.code in ("invalid_input", "permission_denied"):
                self.create_error = error_text(exc)
                return None
            return self._failed(exc)
        self.create_open, self.create_error = False, ""
        self.new_secret, self.new_secret_url = created.secret or "", url
        self.subscriptions = [_sub_row(created), *self.subscriptions]
        return None

    @rx.event
    def close_secret(self, _open: bool = False) -> None:
        """Forget the signing secret: it is shown once."""
        self.new_secret = self.new_secret_url = ""

    @rx.event
    def ask_delete(self, subscription_id: str, url: str) -> None:
        self.pending_id, self.pending_url = subscription_id, url

    @rx.event
    def cancel(self) -> None:
        self.pending_id = self.pending_url = ""

    @rx.event
    async def confirm_delete(self) -> EventSpec | None:
        subscription_id, url = self.pending_id, self.pending_url
        self.pending_id = self.pending_url = ""
        try:
            await delete_subscription(await self._principal(), uuid.UUID(subscription_id))
        except DomainError as exc:
            return self._failed(exc)
        self.subscriptions = [s for s in self.subscriptions if s["id"] != subscription_id]
        return rx.toast.success(f"No more events are sent to {url}.")

    @rx.event
    async def redeliver(self, delivery_id: str) -> AsyncIterator[EventSpec | None]:
        """Queue one delivery again now (a disabled subscription is re-enabled by this)."""
        self.redelivering_id = delivery_id
        yield None
        try:
            view = await queue_redelivery(await self._principal(), uuid.UUID(delivery_id))
        except DomainError as exc:
            self.redelivering_id = ""
            yield self._failed(exc)
            return
        urls = {s["id"]: s["url"] for s in self.subscriptions}
        updated = _delivery_row(view, urls)
        self.deliveries = [updated if d["id"] == delivery_id else d for d in self.deliveries]
        self.redelivering_id = ""
        yield rx.toast.success("Queued for redelivery; the log updates within a few seconds.")
