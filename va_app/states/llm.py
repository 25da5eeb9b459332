"""State of the LLM & budgets page: spend per budget, breaker health per model, the catalog.

Refreshes itself every few seconds while the page is open (a background event, I/O outside
the state lock), like the event pipeline page.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypedDict

import reflex as rx

from va_app import routes
from va_app.errors import DomainError, NotAuthenticated
from va_app.llm import budgets, service
from va_app.llm.budgets import BudgetUsage
from va_app.states.auth import AuthState, error_text
from va_app.states.formatting import stamp

REFRESH_S = 5.0


class BudgetRow(TypedDict):
    id: str
    scope: str
    period: str
    kind: str
    limit: str
    spent: str
    remaining: str
    percent: float
    percent_text: str
    color: str
    resets_at: str


class HealthRow(TypedDict):
    model: str
    provider: str
    state: str
    failures: int
    consecutive_failures: int
    calls: int
    latency: str
    last_error: str


class ModelRow(TypedDict):
    name: str
    provider: str
    tier: str
    prompt_per_1k: str
    completion_per_1k: str
    source: str


def usd(value: float) -> str:
    """Dollars: cents for amounts of a dollar or more, up to six decimals for sub-dollar prices."""
    if value == 0 or value >= 1:
        return f"${value:,.2f}"
    whole, frac = f"{value:.6f}".split(".")
    return f"${whole}.{frac.rstrip('0').ljust(2, '0')}"


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float) else 0


def level(percent: float) -> str:
    """Green below 50 %, amber from 50 % (the first alert), red from 80 %; 100 % is spent."""
    if percent >= 80:
        return "red"
    if percent >= 50:
        return "amber"
    return "green"


def _latency(value: object) -> str:
    return f"{value:.0f} ms" if isinstance(value, int | float) else "—"


def _scope(budget: Any) -> str:
    return budget.scope if not budget.scope_id else f"{budget.scope} {budget.scope_id}"


class LLMState(AuthState):
    budgets: list[BudgetRow] = []
    health: list[HealthRow] = []
    models: list[ModelRow] = []
    open_circuits: int = 0
    error: str = ""
    loaded: bool = False
    _generation: int = 0

    @rx.event(background=True)
    async def start_refresh(self) -> None:
        async with self:
            self._generation += 1
            generation = self._generation
        while True:
            async with self:
                if generation != self._generation or not self.router.url.path.startswith(routes.LLM):
                    return
                try:
                    principal = await self._principal()
                except NotAuthenticated:
                    return
            try:
                usage = await budgets.usage(principal)
                health = await service.health(principal)
                models = await service.list_models(principal)
                error = ""
            except DomainError as exc:
                usage, health, models, error = None, [], [], error_text(exc)
            except Exception as exc:  # Redis or a provider registry down: say so, keep the last reading
                usage, health, models = None, [], []
                error = f"Could not read budgets or model health ({type(exc).__name__}); retrying in {REFRESH_S:.0f} s."
            async with self:
                self._apply(usage, health, models, error)
            await asyncio.sleep(REFRESH_S)

    def _apply(
        self,
        usage: list[BudgetUsage] | None,
        health: list[dict[str, object]],
        models: list[service.ModelView],
        error: str,
    ) -> None:
        self.loaded = True
        self.error = error
        if usage is None:
            return
        self.budgets = [
            BudgetRow(
                id=u.budget.id,
                scope=_scope(u.budget),
                period=u.budget.period,
                kind="hard" if u.budget.hard else "soft",
                limit=usd(u.budget.limit_usd),
                spent=usd(u.spent_usd),
                remaining=usd(u.remaining_usd),
                percent=min(float(u.percent), 100.0),
                percent_text=f"{u.percent:.0f} %",
                color=level(u.percent),
                resets_at=stamp(u.resets_at),
            )
            for u in usage
        ]
        self.health = [
            HealthRow(
                model=str(h["model"]),
                provider=str(h["provider"]),
                state=str(h["state"]),
                failures=_int(h.get("failures")),
                consecutive_failures=_int(h.get("consecutive_failures")),
                calls=_int(h.get("calls")),
                latency=_latency(h.get("latency_ewma_ms")),
                last_error=str(h.get("last_error") or ""),
            )
            for h in health
        ]
        self.open_circuits = sum(1 for h in self.health if h["state"] != "closed")
        self.models = [
            ModelRow(
                name=m.name,
                provider=m.provider,
                tier=m.tier,
                prompt_per_1k=usd(m.input_per_1k),
                completion_per_1k=usd(m.output_per_1k),
                source=m.source,
            )
            for m in models
        ]
