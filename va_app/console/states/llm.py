"""State of the LLM & budgets page: spend per budget, breaker health per model, the catalog,
and the "Add budget" form with a confirmed delete per budget.

Refreshes itself every few seconds while the page is open (``LiveState``: the reads run
outside the state lock). Creating or deleting a budget goes through
``va_app.domain.llm.budgets`` (which checks ``budgets:write`` and audits) and re-reads the list at
once; a refresh that started before the change does not overwrite it (``_changes``).
Budgets name their target by the agent's slug or the key's name (``budget_targets``), looked
up when the page opens, after a change, and when a budget points at something not seen yet.
"""

from __future__ import annotations

import math
import uuid
from typing import Any, ClassVar, NamedTuple, TypedDict

import reflex as rx
from reflex.event import EventSpec

from va_app.console import routes
from va_app.console.states.auth import AuthState, error_text
from va_app.console.states.formatting import stamp
from va_app.console.states.live import LiveState, failure_text
from va_app.domain.errors import DomainError, InvalidInput, NotAuthenticated
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.llm import budgets, service
from va_app.domain.llm.budget_targets import Targets, budget_targets
from va_app.domain.llm.budgets import PERIODS, SCOPES, BudgetUsage

REFRESH_S = 5.0
SCOPE_LABELS = {"tenant": "Whole tenant", "agent": "One agent", "key": "One API key"}
TARGET_NOUNS = {"agent": "agent", "key": "API key"}
LIMIT_INPUT_ID = "budget-limit"


class Option(TypedDict):
    """One item of a select: the value sent to the service and what the user reads."""

    value: str
    label: str


SCOPE_OPTIONS = [Option(value=s, label=SCOPE_LABELS.get(s, s)) for s in SCOPES]
PERIOD_OPTIONS = [Option(value=p, label=p) for p in PERIODS]


class BudgetRow(TypedDict):
    id: str
    scope: str
    target: str
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


def _ref(scope: str, scope_id: str | None) -> str:
    return f"{scope}:{scope_id or ''}"


def _short(scope_id: str) -> str:
    return f"{scope_id[:8]}…"


def target_labels(targets: Targets) -> dict[str, str]:
    """``scope:id`` -> the agent's slug or the key's name."""
    return {_ref("agent", t.id): t.label for t in targets.agents} | {_ref("key", t.id): t.label for t in targets.keys}


def _unnamed(usage: list[BudgetUsage], labels: dict[str, str]) -> set[str]:
    """Targets of these budgets that have no name yet (a new agent or key, or the first read)."""
    refs = {_ref(u.budget.scope, u.budget.scope_id) for u in usage if u.budget.scope_id}
    return refs - labels.keys()


def _read_error(exc: Exception) -> str:
    return failure_text(exc, "budgets or model health", REFRESH_S)


def parse_limit(text: str) -> float:
    """The limit typed into the form, in USD."""
    try:
        value = float(text.strip().lstrip("$").replace(",", ""))
    except ValueError as exc:
        raise InvalidInput("enter the limit in USD, e.g. 5 or 12.50") from exc
    if not math.isfinite(value):
        raise InvalidInput("enter the limit in USD, e.g. 5 or 12.50")
    return value


class Begun(NamedTuple):
    """What a refresh round starts from: the change counter, the names known, whether targets were read."""

    changes: int
    labels: dict[str, str]
    named: bool


class Reading(NamedTuple):
    usage: list[BudgetUsage]
    targets: Targets | None  # read on the first round and when a budget names something new
    health: list[dict[str, object]]
    models: list[service.ModelView]


class LLMState(LiveState, AuthState):
    LIVE_ROUTE: ClassVar[str] = routes.LLM
    LIVE_INTERVAL_S: ClassVar[float] = REFRESH_S

    budgets: list[BudgetRow] = []
    health: list[HealthRow] = []
    models: list[ModelRow] = []
    open_circuits: int = 0
    error: str = ""
    loaded: bool = False

    # the "Add budget" form (shown to roles with budgets:write)
    agent_options: list[Option] = []
    key_options: list[Option] = []
    form_scope: str = SCOPES[0]
    form_target: str = ""
    form_period: str = PERIODS[0]
    form_hard: bool = True
    form_error: str = ""
    # the budget waiting for "Delete?" to be confirmed
    pending_id: str = ""
    pending_label: str = ""
    # ``scope:id`` -> readable target; bumped on every change so an older refresh is dropped
    _labels: dict[str, str] = {}
    _changes: int = 0
    _named: bool = False  # this loop read the targets at least once (form options, row names)

    @rx.var
    def can_write(self) -> bool:
        """Show the form and the delete buttons (the service checks ``budgets:write`` again)."""
        return Perm.BUDGETS_WRITE.value in self.permissions

    @rx.var
    def scope_options(self) -> list[Option]:
        return SCOPE_OPTIONS

    @rx.var
    def period_options(self) -> list[Option]:
        return PERIOD_OPTIONS

    @rx.var
    def target_options(self) -> list[Option]:
        """The agents or keys a budget of the chosen scope can be set on."""
        if self.form_scope == "agent":
            return self.agent_options
        if self.form_scope == "key":
            return self.key_options
        return []

    @rx.var
    def target_noun(self) -> str:
        return TARGET_NOUNS.get(self.form_scope, "")

    @rx.var
    def confirm_open(self) -> bool:
        return self.pending_id != ""

    def _live_started(self) -> None:
        self._named = False

    def _live_begin(self) -> Begun:
        return Begun(self._changes, dict(self._labels), self._named)

    async def _live_read(self, principal: Principal, begun: Begun) -> Reading:
        usage = await budgets.usage(principal)
        targets = None
        if not begun.named or _unnamed(usage, begun.labels):
            targets = await budget_targets(principal)
        return Reading(usage, targets, await service.health(principal), await service.list_models(principal))

    def _live_apply(self, reading: Reading, begun: Begun) -> bool:
        # after a create or delete during this read, the event already showed the newer list
        current = begun.changes == self._changes
        if current and reading.targets is not None:
            self._apply_targets(reading.targets, reading.usage)
        self._apply(reading.usage if current else None, reading.health, reading.models, "")
        self._named = self._named or reading.targets is not None
        return True

    def _live_failed(self, exc: Exception) -> bool:
        """Redis or a provider registry down: say so, keep the last reading."""
        self._apply(None, [], [], _read_error(exc))
        return True

    async def _reload(self, principal: Principal) -> None:
        """Re-read budgets and targets now, after a change (inside the event, under the state lock)."""
        self._changes += 1
        try:
            usage = await budgets.usage(principal)
            targets = await budget_targets(principal)
        except Exception as exc:  # the change is made; the next refresh shows it
            self.error = _read_error(exc)
            return
        self._apply_targets(targets, usage)
        self._apply_budgets(usage)

    def _apply_targets(self, targets: Targets, usage: list[BudgetUsage]) -> None:
        """Options for the form and names for the rows; a target still unnamed (a key a viewer may
        not read) keeps a short id, so the refresh does not look it up again every time."""
        labels = target_labels(targets)
        for ref in _unnamed(usage, labels):
            labels[ref] = _short(ref.partition(":")[2])
        self._labels = labels
        self.agent_options = [Option(value=t.id, label=t.label) for t in targets.agents if t.selectable]
        self.key_options = [Option(value=t.id, label=t.label) for t in targets.keys if t.selectable]

    def _target(self, scope: str, scope_id: str | None) -> str:
        if scope == "tenant" or not scope_id:
            return "whole tenant"
        return self._labels.get(_ref(scope, scope_id), _short(scope_id))

    def _apply(
        self,
        usage: list[BudgetUsage] | None,
        health: list[dict[str, object]],
        models: list[service.ModelView],
        error: str,
    ) -> None:
        """One refresh; ``usage`` is None when the read failed (keep the last reading) or is stale."""
        self.loaded = True
        self.error = error
        if error:
            return
        if usage is not None:
            self._apply_budgets(usage)
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

    def _apply_budgets(self, usage: list[BudgetUsage]) -> None:
        self.budgets = [
            BudgetRow(
                id=u.budget.id,
                scope=u.budget.scope,
                target=self._target(u.budget.scope, u.budget.scope_id),
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

    @rx.event
    def set_form_scope(self, value: str) -> None:
        self.form_scope, self.form_target, self.form_error = value, "", ""

    @rx.event
    def set_form_target(self, value: str) -> None:
        self.form_target, self.form_error = value, ""

    @rx.event
    def set_form_period(self, value: str) -> None:
        self.form_period, self.form_error = value, ""

    @rx.event
    def set_form_hard(self, value: bool) -> None:
        self.form_hard = value

    @rx.event
    async def add_budget(self, form: dict[str, Any]) -> EventSpec | list[EventSpec] | None:
        """Create the budget in the form; the service's refusal is shown in the form."""
        self.form_error = ""
        scope, target, period, hard = self.form_scope, self.form_target, self.form_period, self.form_hard
        try:
            principal = await self._principal()
            if scope in TARGET_NOUNS and not target:
                raise InvalidInput(f"pick the {TARGET_NOUNS[scope]} this budget applies to")
            view = await budgets.create_budget(
                principal,
                scope=scope,
                scope_id=target or None,
                period=period,
                limit_usd=parse_limit(str(form.get("limit_usd", ""))),
                hard=hard,
            )
        except NotAuthenticated as exc:
            return self._to_login(exc.message)
        except DomainError as exc:
            self.form_error = error_text(exc)
            return None
        await self._reload(principal)
        kind = "hard" if view.hard else "soft"
        where = self._target(view.scope, view.scope_id)
        return [
            rx.set_value(LIMIT_INPUT_ID, ""),
            rx.toast.success(f"Added a {view.period} {kind} budget of {usd(view.limit_usd)} for {where}."),
        ]

    @rx.event
    def ask_delete(self, budget_id: str, label: str) -> None:
        """Open the confirmation for deleting one budget."""
        self.pending_id, self.pending_label = budget_id, label

    @rx.event
    def cancel(self) -> None:
        self.pending_id = self.pending_label = ""

    @rx.event
    async def confirm_delete(self) -> EventSpec | None:
        """Delete the confirmed budget: calls it limited are no longer limited by it from now on."""
        budget_id, label = self.pending_id, self.pending_label
        self.pending_id = self.pending_label = ""
        try:
            principal = await self._principal()
        except NotAuthenticated as exc:
            return self._to_login(exc.message)
        try:
            await budgets.delete_budget(principal, uuid.UUID(budget_id))
        except DomainError as exc:  # e.g. deleted meanwhile in another tab: show the list as it is now
            await self._reload(principal)
            return self._failed(exc)
        await self._reload(principal)
        return rx.toast.success(f"Deleted the {label}.")
