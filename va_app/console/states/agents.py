"""State of the agents list: every agent with what each environment runs, archive and restore.

A row is built from ``agent_overview`` (the agent, its latest version and the current
deployment per environment), so the badges say exactly what serves traffic now: the stable
version, a rollout in progress (candidate and share) or nothing. Creating from a template and
cloning live in :mod:`va_app.console.states.agent_create`; both end by reloading this list.
"""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx
from reflex.event import EventSpec

from va_app.console.states.auth import AuthState, error_text
from va_app.console.states.formatting import stamp
from va_app.domain.agents.deployments import agent_overview
from va_app.domain.agents.resolver import ENVIRONMENTS
from va_app.domain.agents.service import list_agents, set_archived
from va_app.domain.errors import DomainError
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal

PAGE_SIZE = 50
ENV_SHORT = {"development": "dev", "staging": "staging", "production": "prod"}


class EnvCell(TypedDict):
    """What one environment of one agent runs, as a badge shows it."""

    environment: str
    short: str
    label: str  # "v3", or "—" when never deployed
    deployed: bool
    rolling: bool
    detail: str  # the tooltip: stable version, candidate, share, strategy


class AgentRow(TypedDict):
    """One agent in the list: plain values only, so it serialises as-is."""

    id: str
    slug: str
    name: str
    brand: str
    template: str
    channels: str
    archived: bool
    latest: str
    created: str
    envs: list[EnvCell]


def env_cell(environment: str, deployment: dict[str, Any] | None) -> EnvCell:
    """A deployment (``DeploymentInfo.as_dict()``) as a badge: stable version, and a rollout if one runs."""
    short = ENV_SHORT[environment]
    if deployment is None or deployment.get("stable_version_number") is None:
        return EnvCell(
            environment=environment, short=short, label="—", deployed=False, rolling=False, detail="never deployed"
        )
    stable = deployment["stable_version_number"]
    rolling = deployment["status"] == "rolling_out"
    if rolling:
        candidate, percent = deployment["version_number"], deployment["percent"]
        label = f"v{stable} → v{candidate} {percent}%"
        detail = f"{deployment['strategy']} rollout: v{candidate} gets {percent}% of {environment}, v{stable} the rest"
    else:
        label = f"v{stable}"
        detail = f"v{stable} serves all of {environment}"
    return EnvCell(environment=environment, short=short, label=label, deployed=True, rolling=rolling, detail=detail)


def agent_row(overview: dict[str, Any]) -> AgentRow:
    """``agent_overview`` output as a table row."""
    latest = overview.get("latest_version")
    return AgentRow(
        id=overview["id"],
        slug=overview["slug"],
        name=overview["name"],
        brand=overview.get("brand") or "",
        template=overview.get("template") or "",
        channels=", ".join(overview.get("channels") or []),
        archived=overview.get("archived_at") is not None,
        latest=f"v{latest}" if latest else "—",
        created=stamp(overview["created_at"]),
        envs=[env_cell(env, overview["environments"].get(env)) for env in ENVIRONMENTS],
    )


class AgentsState(AuthState):
    """The agent list, its cursor, the archived filter and the archive/restore confirmation."""

    agents: rx.Field[list[AgentRow]] = rx.field(default_factory=list)
    next_cursor: rx.Field[str] = rx.field("")
    include_archived: rx.Field[bool] = rx.field(False)
    loaded: rx.Field[bool] = rx.field(False)
    load_error: rx.Field[str] = rx.field("")

    pending_slug: rx.Field[str] = rx.field("")
    pending_name: rx.Field[str] = rx.field("")
    pending_archive: rx.Field[bool] = rx.field(True)

    @rx.var
    def can_write(self) -> bool:
        """Show create, clone, archive and restore (the services check ``agents:write`` again)."""
        return Perm.AGENTS_WRITE.value in self.permissions

    @rx.var
    def confirm_open(self) -> bool:
        return self.pending_slug != ""

    @rx.var
    def rolling_count(self) -> int:
        """How many agents have a rollout in progress somewhere (shown above the table)."""
        return sum(1 for a in self.agents if any(e["rolling"] for e in a["envs"]))

    @rx.event
    async def load(self) -> EventSpec | None:
        """First page of agents, newest first."""
        return await self._read(cursor=None)

    @rx.event
    async def load_more(self) -> EventSpec | None:
        return await self._read(cursor=self.next_cursor or None)

    @rx.event
    async def set_include_archived(self, value: bool) -> EventSpec | None:
        self.include_archived = value
        return await self._read(cursor=None)

    async def _rows(self, principal: Principal, cursor: str | None) -> tuple[list[AgentRow], str | None]:
        agents, next_cursor = await list_agents(
            principal, include_archived=self.include_archived, limit=PAGE_SIZE, cursor=cursor
        )
        return [agent_row(await agent_overview(principal, a.id)) for a in agents], next_cursor

    async def _read(self, cursor: str | None) -> EventSpec | None:
        try:
            rows, next_cursor = await self._rows(await self._principal(), cursor)
        except DomainError as exc:
            self.loaded = True
            if exc.code == "permission_denied":
                self.load_error, self.agents = error_text(exc), []
                return None
            return self._failed(exc)
        self.agents = [*self.agents, *rows] if cursor else rows
        self.next_cursor = next_cursor or ""
        self.loaded, self.load_error = True, ""
        return None

    async def reload(self) -> None:
        """Re-read the first page after a change elsewhere on the page (create, clone)."""
        await self._read(cursor=None)

    @rx.event
    def ask(self, slug: str, name: str, archive: bool) -> None:
        """Open the confirmation to archive (or restore) one agent."""
        self.pending_slug, self.pending_name, self.pending_archive = slug, name, archive

    @rx.event
    def cancel(self) -> None:
        self.pending_slug = self.pending_name = ""

    @rx.event
    async def confirm(self) -> EventSpec | None:
        """Archive or restore the agent named in the confirmation."""
        slug, name, archive = self.pending_slug, self.pending_name, self.pending_archive
        self.pending_slug = self.pending_name = ""
        try:
            await set_archived(await self._principal(), slug, archive)
        except DomainError as exc:
            return self._failed(exc)
        await self._read(cursor=None)
        if archive:
            return rx.toast.success(f"“{name}” is archived: it serves no traffic until it is restored.")
        return rx.toast.success(f"“{name}” is restored; its deployments serve again.")
