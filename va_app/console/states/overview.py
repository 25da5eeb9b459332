"""State of the Overview page: backend health, headline counts and a short latency history.

The page refreshes itself every ``REFRESH_S`` seconds while a tab shows it (``LiveState``:
the status service call, the slow part up to the probe timeout, runs outside the state lock);
``live`` says whether that loop is running, for the indicator in the header.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import ClassVar, TypedDict

import reflex as rx

from va_app.console import routes
from va_app.console.states.auth import AuthState
from va_app.console.states.live import LiveState, refresh_once
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


class OverviewState(LiveState, AuthState):
    """Backend status and headline counts of the platform, refreshed every few seconds."""

    LIVE_ROUTE: ClassVar[str] = routes.OVERVIEW
    LIVE_INTERVAL_S: ClassVar[float] = REFRESH_S

    backends: list[BackendRow] = []
    counts: dict[str, int | None] = {}
    checked_at: str = ""
    ready: bool = False
    loaded: bool = False
    live: bool = False
    error: str = ""

    # Backend-only: the latency samples per backend.
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

    def _live_started(self) -> None:
        self.live = True

    def _live_stopped(self) -> None:
        self.live = False

    async def _live_read(self, principal: Principal, _begun: object) -> PlatformStatus:
        return await overview_status(principal)

    def _live_apply(self, reading: PlatformStatus, _begun: object) -> bool:
        self._apply(reading, "")
        return True

    def _live_failed(self, exc: Exception) -> bool:
        """Keep the last good reading; say what failed in one sentence."""
        first_line = (str(exc).strip().splitlines() or [""])[0][:200]
        detail = f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
        self._apply(None, f"Could not read the platform status ({detail}). Retrying in {REFRESH_S:.0f} s.")
        return True

    @rx.event(background=True)
    async def refresh_now(self) -> None:
        """One refresh on demand, without touching the periodic loop."""
        await refresh_once(self)

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


def _clock(iso: str) -> str:
    try:
        return dt.datetime.fromisoformat(iso).strftime("%H:%M:%S")
    except ValueError:
        return iso
