"""State of the Overview page: backend health, headline counts and a short latency history.

The page refreshes itself: ``on_load`` starts one background task per open tab that calls the
status service every ``REFRESH_S`` seconds. The service call (the slow part, up to the probe
timeout) runs outside ``async with self`` so the state lock is held only to copy results in,
and other events of the tab are never blocked by a probe.

The loop ends by itself when

* a newer loop starts for the same tab (reload, reconnect): each start bumps ``_generation``
  and an older loop sees the mismatch and returns, so a tab never has two loops;
* the tab leaves the Overview route;
* the tab's websocket is no longer attached to this worker (tab closed, or it reconnected to
  another worker, where its ``on_load`` starts a fresh loop).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TypedDict

import reflex as rx
from reflex_base.registry import RegistrationContext

from va_app.console import routes
from va_app.console.states.auth import AuthState
from va_app.domain.errors import NotAuthenticated
from va_app.domain.identity.principal import Principal
from va_app.domain.status.backends import PlatformStatus, overview_status

log = logging.getLogger(__name__)

REFRESH_S = 5.0
HISTORY_POINTS = 60  # five minutes of probes at REFRESH_S
UNKNOWN = "—"


class LatencyPoint(TypedDict):
    """One probe of one backend, for its sparkline."""

    t: str
    ms: float


class BackendRow(TypedDict):
    """One backend as the page shows it: simple values only, so it serialises as-is."""

    name: str
    kind: str
    ok: bool
    version: str
    error: str
    latency_ms: float
    embedded: bool
    history: list[LatencyPoint]


class OverviewState(AuthState):
    """Backend status and headline counts of the platform, refreshed every few seconds."""

    backends: list[BackendRow] = []
    counts: dict[str, int | None] = {}
    checked_at: str = ""
    ready: bool = False
    loaded: bool = False
    live: bool = False
    error: str = ""

    # Backend-only: the loop generation of this tab and the latency samples per backend.
    _generation: int = 0
    _history: dict[str, list[LatencyPoint]] = {}

    @rx.var
    def down_count(self) -> int:
        """How many backends failed their last probe."""
        return sum(1 for row in self.backends if not row["ok"])

    @rx.var
    def summary(self) -> str:
        """The one-line verdict at the top of the page."""
        if not self.loaded:
            return "Checking backends…"
        if self.error:
            return "Status unavailable"
        if self.ready:
            return "All systems operational"
        return f"{self.down_count} of {len(self.backends)} backends down"

    @rx.var
    def count_text(self) -> dict[str, str]:
        """Counts formatted for display; a dash where the owning backend could not answer."""
        return {
            key: UNKNOWN if self.counts.get(key) is None else f"{self.counts[key]:,}"
            for key in ("tenants", "agents", "events_last_hour")
        }

    @rx.var
    def checked_at_text(self) -> str:
        """Time of the last probe in UTC, short enough for the header."""
        if not self.checked_at:
            return UNKNOWN
        try:
            return dt.datetime.fromisoformat(self.checked_at).strftime("%H:%M:%S UTC")
        except ValueError:
            return self.checked_at

    @rx.event(background=True)
    async def start_refresh(self) -> None:
        """Refresh now, then every ``REFRESH_S`` seconds while this tab shows the page."""
        async with self:
            self._generation += 1
            generation = self._generation
            token = self.router.session.client_token
            self.live = True
        try:
            while True:
                async with self:
                    try:
                        principal = await self._principal()  # every round: a signed-out tab gets nothing
                    except NotAuthenticated:
                        self.live = False
                        return
                status, error = await _read_status(principal)
                async with self:
                    if generation != self._generation:
                        log.debug("overview refresh stopped: superseded", extra={"generation": generation})
                        return  # the newer loop owns `live`
                    self._apply(status, error)
                    on_page = _same_route(self.router.url.path, routes.OVERVIEW)
                if not on_page:
                    reason = "the tab left the page"
                    break
                await asyncio.sleep(REFRESH_S)
                if not _client_connected(token):
                    reason = "the tab disconnected"
                    break
        except asyncio.CancelledError:  # Reflex cancels page-load work when the tab goes away
            log.debug("overview refresh cancelled", extra={"generation": generation})
            raise
        async with self:
            if generation == self._generation:
                self.live = False
        log.debug("overview refresh stopped: %s", reason, extra={"generation": generation})

    @rx.event(background=True)
    async def refresh_now(self) -> None:
        """One refresh on demand, without touching the periodic loop."""
        async with self:
            try:
                principal = await self._principal()
            except NotAuthenticated:
                return
        status, error = await _read_status(principal)
        async with self:
            self._apply(status, error)

    def _apply(self, status: PlatformStatus | None, error: str) -> None:
        """Copy a status reading into the vars the page renders; keep the last good one on error."""
        self.loaded = True
        self.error = error
        if status is None:
            return
        stamp = _clock(status.checked_at)
        history = dict(self._history)
        for backend in status.backends:
            points = [*history.get(backend.name, []), LatencyPoint(t=stamp, ms=backend.latency_ms)]
            history[backend.name] = points[-HISTORY_POINTS:]
        self._history = history
        self.backends = [
            BackendRow(
                name=b.name,
                kind=b.kind,
                ok=b.ok,
                version=b.version,
                error=b.error,
                latency_ms=round(b.latency_ms, 1),
                embedded=b.embedded,
                history=history[b.name],
            )
            for b in status.backends
        ]
        self.counts = dict(status.counts)
        self.checked_at = status.checked_at
        self.ready = status.ready


async def _read_status(principal: Principal) -> tuple[PlatformStatus | None, str]:
    """Ask the status service; turn a failure into one readable sentence for the page."""
    try:
        return await overview_status(principal), ""
    except Exception as exc:  # the page shows a message; the log keeps the traceback
        log.exception("platform status failed")
        first_line = (str(exc).strip().splitlines() or [""])[0][:200]
        detail = f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
        return None, f"Could not read the platform status ({detail}). Retrying in {REFRESH_S:.0f} s."


def _client_connected(token: str) -> bool:
    """True while the tab's websocket is attached to this worker.

    Background tasks are not cancelled when a tab closes, so the loop asks the app's socket
    namespace itself. Only the local mapping is consulted on purpose: a tab that reconnects to
    another worker gets its ``on_load`` (and so a new loop) there.
    """
    if not token:
        return False
    try:
        namespace = RegistrationContext.get().app.event_namespace
    except (LookupError, RuntimeError):
        return False
    return namespace is not None and token in namespace.token_to_sid


def _same_route(path: str, route: str) -> bool:
    return (path.rstrip("/") or "/") == (route.rstrip("/") or "/")


def _clock(iso: str) -> str:
    try:
        return dt.datetime.fromisoformat(iso).strftime("%H:%M:%S")
    except ValueError:
        return iso
