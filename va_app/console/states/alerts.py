"""State of the alerts page: rules (list, create threshold rules, delete) and alerts
(state and severity, acknowledge, resolve), refreshed every few seconds in the background."""

from __future__ import annotations

import asyncio
import uuid
from typing import TypedDict

import reflex as rx
from reflex.event import EventSpec

from va_app.console import routes
from va_app.console.states.auth import AuthState, error_text
from va_app.console.states.formatting import stamp
from va_app.domain.alerts import service
from va_app.domain.alerts.rules import THRESHOLD_METRICS
from va_app.domain.errors import DomainError, NotAuthenticated

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


class AlertsState(AuthState):
    rules: list[RuleRow] = []
    alerts: list[AlertRow] = []
    error: str = ""
    form_metric: str = "error_rate"
    form_op: str = ">"
    form_value: str = "0.05"
    form_severity: str = "warning"
    _generation: int = 0

    async def _reload(self, principal: object) -> None:
        rules = await service.list_rules(principal)  # type: ignore[arg-type]
        alerts, _ = await service.list_alerts(principal, limit=100)  # type: ignore[arg-type]
        self._apply(rules, alerts)

    def _apply(self, rules: list, alerts: list) -> None:
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

    @rx.event(background=True)
    async def start_refresh(self) -> None:
        async with self:
            self._generation += 1
            generation = self._generation
        while True:
            async with self:
                if generation != self._generation or not self.router.url.path.startswith(routes.ALERTS):
                    return
                try:
                    principal = await self._principal()
                except NotAuthenticated:
                    return
            try:
                rules = await service.list_rules(principal)
                alerts, _ = await service.list_alerts(principal, limit=100)
                error = ""
            except DomainError as exc:
                rules, alerts, error = None, None, error_text(exc)
            async with self:
                self.error = error
                if rules is not None and alerts is not None:
                    self._apply(rules, alerts)
            await asyncio.sleep(REFRESH_S)

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
