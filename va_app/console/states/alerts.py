"""State of the alerts page: rules (list, create threshold rules, delete) and alerts
(state and severity, acknowledge, resolve), refreshed every few seconds in the background
(``LiveState``)."""

from __future__ import annotations

import uuid
from typing import ClassVar, TypedDict

import reflex as rx
from reflex.event import EventSpec

from va_app.console import routes
from va_app.console.states.auth import AuthState
from va_app.console.states.formatting import stamp
from va_app.console.states.live import LiveState, failure_text
from va_app.domain.alerts import service
from va_app.domain.alerts.rules import THRESHOLD_METRICS, RuleView
from va_app.domain.errors import DomainError
from va_app.domain.identity.principal import Principal

REFRESH_S = 5.0
METRIC_CHOICES = list(THRESHOLD_METRICS)


class RuleRow(TypedDict):
    id: str
    name: str
    kind: str
    severity: str
    agent: str
    is_default: bool


class AlertRow(TypedDict):
    id: str
    title: str
    summary: str
    severity: str
    state: str
    agent: str
    metric: str
    started: str
    link: str


async def _read(principal: Principal) -> tuple[list[RuleView], list[service.AlertView]]:
    rules = await service.list_rules(principal)
    alerts, _ = await service.list_alerts(principal, limit=100)
    return rules, alerts


class AlertsState(LiveState, AuthState):
    LIVE_ROUTE: ClassVar[str] = routes.ALERTS
    LIVE_INTERVAL_S: ClassVar[float] = REFRESH_S

    rules: list[RuleRow] = []
    alerts: list[AlertRow] = []
    error: str = ""
    form_metric: str = "error_rate"
    form_op: str = ">"
    form_value: str = "0.05"
    form_severity: str = "warning"

    async def _reload(self, principal: Principal) -> None:
        self._apply(*await _read(principal))

    def _apply(self, rules: list[RuleView], alerts: list[service.AlertView]) -> None:
        self.rules = [
            RuleRow(
                id=r.id,
                name=r.name,
                kind=r.kind,
                severity=r.severity,
                agent=r.agent_id or "every agent",
                is_default=r.is_default,
            )
            for r in rules
        ]
        self.alerts = [
            AlertRow(
                id=a.id,
                title=a.title,
                summary=a.summary,
                severity=a.severity,
                state=a.state,
                agent=a.agent_id,
                metric=a.metric,
                started=stamp(a.started_at),
                link=a.link,
            )
            for a in alerts
        ]

    async def _live_read(self, principal: Principal, _begun: object) -> tuple[list[RuleView], list[service.AlertView]]:
        return await _read(principal)

    def _live_apply(self, reading: tuple[list[RuleView], list[service.AlertView]], _begun: object) -> bool:
        self.error = ""
        self._apply(*reading)
        return True

    def _live_failed(self, exc: Exception) -> bool:
        self.error = failure_text(exc, "the alerts", REFRESH_S)  # the last reading stays
        return True

    @rx.event
    def set_form(self, name: str, value: str) -> None:
        """One field of the new-rule form."""
        if name in ("form_metric", "form_op", "form_value", "form_severity"):
            setattr(self, name, value)

    @rx.event
    async def create_rule(self) -> EventSpec | None:
        try:
            principal = await self._principal()
            value = float(self.form_value)
        except DomainError as exc:
            return self._failed(exc)
        except ValueError:
            return rx.toast.error("The threshold must be a number.")
        try:
            await service.create_rule(
                principal,
                kind="threshold",
                metric=self.form_metric,
                op=self.form_op,
                value=value,
                severity=self.form_severity,
            )
            await self._reload(principal)
        except DomainError as exc:
            return self._failed(exc)
        return rx.toast.success("Rule created.")

    @rx.event
    async def delete_rule(self, rule_id: str) -> EventSpec | None:
        try:
            principal = await self._principal()
            await service.delete_rule(principal, uuid.UUID(rule_id))
            await self._reload(principal)
        except DomainError as exc:
            return self._failed(exc)
        return rx.toast.success("Rule deleted.")

    @rx.event
    async def act(self, alert_id: str, action: str) -> EventSpec | None:
        """Acknowledge or resolve one alert."""
        try:
            principal = await self._principal()
            fn = service.acknowledge if action == "ack" else service.resolve
            await fn(principal, uuid.UUID(alert_id))
            await self._reload(principal)
        except DomainError as exc:
            return self._failed(exc)
        return None
