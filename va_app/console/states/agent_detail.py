"""State of one agent's page: what each environment runs, promote, roll back, and the history.

The agent comes from the URL (``/agents/<slug>``). Everything shown is re-read from the
services after each action, so the page never shows a deployment the server did not make.
Buttons are enabled from the role's permissions and the deployment rows only as a courtesy:
``va_app.domain.agents.deployments`` checks permission and promotion order again. The rollout
timeline and the per-version KPIs live in :mod:`va_app.console.states.agent_timeline`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

import reflex as rx
from reflex.event import EventSpec

from va_app.console.states.auth import AuthState, error_text
from va_app.console.states.formatting import stamp
from va_app.domain.agents.deployments import NEXT_ENVIRONMENT, agent_overview, history, promote, rollback
from va_app.domain.agents.resolver import ENVIRONMENTS
from va_app.domain.errors import DomainError
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal

HISTORY_LIMIT = 100
TABS = ("deployments", "versions", "experiments", "try")
KIND_LABELS = {
    "deployment.deployed": "deployed",
    "deployment.rolled_back": "rolled back",
    "rollout.started": "rollout started",
    "rollout.advanced": "rollout advanced",
    "rollout.completed": "rollout completed",
    "rollout.rolled_back": "rollout rolled back",
    "rollout.superseded": "rollout superseded",
}


def path_segment(path: str, index: int) -> str:
    """One segment of a console path (the production build may add a trailing slash)."""
    parts = [p for p in path.split("/") if p]
    return parts[index] if len(parts) > index else ""


class EnvCard(TypedDict):
    """One environment of the agent: what serves it and what can be done next."""

    environment: str
    deployed: bool
    stable: str
    rolling: bool
    candidate: str
    percent: int
    strategy: str
    since: str
    reason: str
    next_environment: str
    promote_ok: bool
    promote_hint: str
    rollback_ok: bool
    rollback_hint: str


class HistoryRow(TypedDict):
    """One deployment event: who did what, when, and why."""

    id: str
    when: str
    clock: str  # with seconds: rollout steps can be seconds apart
    environment: str
    kind: str
    label: str
    versions: str
    percent: str
    reason: str
    actor: str
    automatic: bool
    from_version: int  # -1: none (numbers for the traffic chart)
    to_version: int
    share: int  # -1: none


def _history_row(event: Any) -> HistoryRow:
    if event.from_version is not None and event.to_version is not None:
        versions = f"v{event.from_version} → v{event.to_version}"
    else:
        versions = f"v{event.to_version}" if event.to_version is not None else "—"
    return HistoryRow(
        id=event.id,
        when=stamp(event.created_at),
        clock=event.created_at.astimezone(dt.UTC).strftime("%m-%d %H:%M:%S"),
        environment=event.environment,
        kind=event.kind,
        label=KIND_LABELS.get(event.kind, event.kind),
        versions=versions,
        percent="" if event.percent is None else f"{event.percent}%",
        reason=event.reason,
        actor=event.actor_label,
        automatic=bool(event.details.get("automatic")),
        from_version=-1 if event.from_version is None else event.from_version,
        to_version=-1 if event.to_version is None else event.to_version,
        share=-1 if event.percent is None else event.percent,
    )


class AgentDetailState(AuthState):
    """The agent, its environments and its deployment history."""

    slug: rx.Field[str] = rx.field("")
    agent_id: rx.Field[str] = rx.field("")
    name: rx.Field[str] = rx.field("")
    description: rx.Field[str] = rx.field("")
    brand: rx.Field[str] = rx.field("")
    template: rx.Field[str] = rx.field("")
    channels: rx.Field[list[str]] = rx.field(default_factory=list)
    archived: rx.Field[bool] = rx.field(False)
    latest_version: rx.Field[int] = rx.field(0)
    environments: rx.Field[list[EnvCard]] = rx.field(default_factory=list)
    events: rx.Field[list[HistoryRow]] = rx.field(default_factory=list)
    loaded: rx.Field[bool] = rx.field(False)
    load_error: rx.Field[str] = rx.field("")
    tab: rx.Field[str] = rx.field("deployments")

    rollback_env: rx.Field[str] = rx.field("")

    @rx.var
    def can_write(self) -> bool:
        return Perm.AGENTS_WRITE.value in self.permissions

    @rx.var
    def can_deploy(self) -> bool:
        return Perm.AGENTS_DEPLOY.value in self.permissions

    @rx.var
    def can_deploy_production(self) -> bool:
        return Perm.AGENTS_PROMOTE_PRODUCTION.value in self.permissions

    @rx.var
    def rollback_open(self) -> bool:
        return self.rollback_env != ""

    @rx.var
    def rollback_text(self) -> str:
        """What the confirmation says will happen, from the environment's card."""
        card = next((c for c in self.environments if c["environment"] == self.rollback_env), None)
        if card is None:
            return ""
        if card["rolling"]:
            return (
                f"The {card['strategy']} rollout of {card['candidate']} stops and all of {card['environment']} "
                f"goes back to {card['stable']} now."
            )
        return f"{card['environment'].capitalize()} goes back to the version that served it before {card['stable']}."

    @rx.event
    async def load(self) -> EventSpec | None:
        """``on_load``: the agent named in the URL, with its environments and history."""
        self.slug = path_segment(self.router.url.path, 1)
        wanted = self.router.url.query_parameters.get("tab", "")
        self.tab = wanted if wanted in TABS else TABS[0]
        try:
            await self._refresh(await self._principal())
        except DomainError as exc:
            self.loaded = True
            if exc.code in ("not_found", "permission_denied"):
                self.load_error = error_text(exc)
                return None
            return self._failed(exc)
        self.load_error = ""
        return None

    async def _refresh(self, principal: Principal) -> None:
        """Re-read the agent, its environments and its history (after every action)."""
        overview = await agent_overview(principal, self.slug)
        events, _ = await history(principal, self.slug, limit=HISTORY_LIMIT)
        self.agent_id = overview["id"]
        self.name = overview["name"]
        self.description = overview.get("description") or ""
        self.brand = overview.get("brand") or ""
        self.template = overview.get("template") or ""
        self.channels = list(overview.get("channels") or [])
        self.archived = overview.get("archived_at") is not None
        self.latest_version = overview.get("latest_version") or 0
        self.environments = [self._card(env, overview["environments"]) for env in ENVIRONMENTS]
        self.events = [_history_row(e) for e in events]
        self.loaded = True

    def _card(self, environment: str, deployments: dict[str, dict[str, Any] | None]) -> EnvCard:
        row = deployments.get(environment)
        stable = row.get("stable_version_number") if row else None
        rolling = row is not None and row["status"] == "rolling_out"
        target = NEXT_ENVIRONMENT.get(environment, "")
        promote_ok, promote_hint = self._promotion(
            environment, stable, rolling, deployments.get(target) if target else None
        )
        rollback_ok = self.can_deploy and stable is not None and not self.archived
        rollback_hint = (
            "Your role cannot deploy."
            if not self.can_deploy
            else f"Nothing is deployed in {environment}."
            if stable is None
            else "Return to the previous stable version, or stop the rollout in progress."
        )
        return EnvCard(
            environment=environment,
            deployed=stable is not None,
            stable=f"v{stable}" if stable is not None else "—",
            rolling=rolling,
            candidate=f"v{row['version_number']}" if rolling and row else "",
            percent=int(row["percent"]) if rolling and row else 0,
            strategy=row["strategy"] if row else "",
            since=stamp(row["created_at"]) if row else "",
            reason=(row.get("reason") or "") if row else "",
            next_environment=target,
            promote_ok=promote_ok,
            promote_hint=promote_hint,
            rollback_ok=rollback_ok,
            rollback_hint=rollback_hint,
        )

    def _promotion(
        self, environment: str, stable: int | None, rolling: bool, target_row: dict[str, Any] | None
    ) -> tuple[bool, str]:
        """Whether "promote to the next environment" can work, and if not, why (the server decides)."""
        target = NEXT_ENVIRONMENT.get(environment)
        if target is None:
            return False, "Production is the last environment."
        if self.archived:
            return False, "The agent is archived: restore it first."
        allowed = self.can_deploy_production if target == "production" else self.can_deploy
        if not allowed:
            needed = "an admin or owner" if target == "production" else "a developer or higher"
            return False, f"Deploying to {target} needs {needed}; your role is {self.role}."
        if stable is None:
            return False, f"Nothing serves all of {environment} yet."
        if rolling:
            return False, f"A rollout is in progress in {environment}: only a version serving all of it can move on."
        if (
            target_row is not None
            and target_row.get("stable_version_number") == stable
            and target_row.get("status") != "rolling_out"
        ):
            return False, f"v{stable} already serves all of {target}."
        return True, f"Deploy v{stable} to all of {target}."

    @rx.event
    def set_tab(self, value: str) -> None:
        self.tab = value

    @rx.event
    async def promote(self, from_environment: str) -> EventSpec | None:
        """Deploy what serves all of ``from_environment`` to the next environment."""
        try:
            principal = await self._principal()
            info = await promote(principal, self.slug, from_environment=from_environment)
            await self._refresh(principal)
        except DomainError as exc:
            return self._failed(exc)
        return rx.toast.success(f"v{info.version_number} now serves all of {info.environment}.")

    @rx.event
    def ask_rollback(self, environment: str) -> None:
        self.rollback_env = environment

    @rx.event
    def cancel_rollback(self) -> None:
        self.rollback_env = ""

    @rx.event
    async def confirm_rollback(self) -> EventSpec | None:
        """Roll the chosen environment back by hand (no confirmation from anyone else needed)."""
        environment, self.rollback_env = self.rollback_env, ""
        try:
            principal = await self._principal()
            info = await rollback(principal, self.slug, environment=environment, reason="manual rollback (console)")
            await self._refresh(principal)
        except DomainError as exc:
            return self._failed(exc)
        return rx.toast.success(f"Rolled back: v{info.stable_version_number} serves all of {environment}.")
