"""Live refresh of a console page, written once: the ``LiveState`` mixin and the loop it runs.

A page that refreshes itself lists ``LiveState`` before ``AuthState``, names its route and
interval as ``ClassVar`` (a plain class attribute would become a state var sent to the
browser), fills in the steps of one round, and starts the loop with
``on_load=XState.start_refresh``::

    class PipelineState(LiveState, AuthState):
        LIVE_ROUTE: ClassVar[str] = routes.PIPELINE
        LIVE_INTERVAL_S: ClassVar[float] = REFRESH_S

        def _live_begin(self): ...                    # under the lock: what the read needs
        async def _live_read(self, principal, begun): ...  # without the lock: the service calls
        def _live_apply(self, reading, begun): ...     # under the lock: copy the reading in
        def _live_failed(self, exc, begun): ...        # under the lock: say what failed

As Reflex's background-event guidance asks, the state lock (``async with self``) is held only
to copy values in and out: the session check and the reads run without it, so a slow backend
never blocks the tab's other events. A round reads at once, then every ``LIVE_INTERVAL_S``
seconds, and the loop ends when

* a newer loop starts for the same tab (``on_load`` again, a reconnect, a changed filter):
  ``supersedes=True`` has Reflex cancel the older invocation, and each start bumps
  ``_live_generation`` so an older loop still in a read drops its result and returns, so a
  tab never has two loops writing;
* the tab shows another page, or its websocket is no longer attached to this worker (closed,
  or reconnected to another worker, where its ``on_load`` starts a loop);
* the user is signed out, a step returns False, or ``LIVE_LIMIT_S`` has passed.

Reflex also cancels ``on_load`` work itself when a tab navigates, reconnects or disconnects;
a cancelled loop writes nothing more (the next loop of the tab sets the flags again).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import reflex as rx
from reflex_base.registry import RegistrationContext

from va_app.console.states.auth import AuthState, error_text
from va_app.domain.errors import DomainError, NotAuthenticated
from va_app.domain.identity.login import principal_for_session
from va_app.domain.identity.principal import Principal

log = logging.getLogger(__name__)

SUPERSEDED = "superseded by a newer loop"
LEFT = "the tab left the page"
DISCONNECTED = "the tab disconnected"
SIGNED_OUT = "signed out"
FINISHED = "nothing more to watch"
GAVE_UP = "the read failed"
TIME_UP = "time limit reached"


class LiveState(AuthState, mixin=True):
    """Refreshes a page state in a background event while its tab shows the page."""

    LIVE_ROUTE: ClassVar[str]  # the page's route, ``[param]`` segments allowed
    LIVE_INTERVAL_S: ClassVar[float] = 5.0
    LIVE_LIMIT_S: ClassVar[float | None] = None  # stop after this long (None: while the page is open)

    _live_generation: int = 0

    @rx.event(background=True, supersedes=True)
    async def start_refresh(self) -> None:
        """Refresh now, then every ``LIVE_INTERVAL_S`` seconds while this tab shows the page."""
        await run(self)

    def _live_started(self) -> None:
        """Under the lock, when a loop starts (e.g. show that the page is live)."""

    def _live_stopped(self) -> None:
        """Under the lock, when the tab's current loop ends for any reason but a newer loop."""

    def _live_begin(self) -> Any:
        """Under the lock: copy what the read needs (filters, a change counter).

        Returns None to skip the read this round (the reason is already on the page).
        """
        return ()

    async def _live_read(self, principal: Principal, begun: Any, /) -> Any:
        """Without the lock: the service calls. Must not touch the state."""
        raise NotImplementedError

    def _live_apply(self, reading: Any, begun: Any, /) -> bool:
        """Under the lock: copy a reading into the vars the page shows; False ends the loop."""
        raise NotImplementedError

    def _live_failed(self, exc: Exception) -> bool:
        """Under the lock: show why a read failed (keep the last reading); False ends the loop."""
        raise NotImplementedError


def failure_text(exc: Exception, what: str, retry_s: float) -> str:
    """The sentence for a failed read: the service's own for a refusal, else what failed."""
    if isinstance(exc, DomainError):
        return error_text(exc)
    return f"Could not read {what} ({type(exc).__name__}). Retrying in {retry_s:.0f} s."


def on_route(path: str, route: str) -> bool:
    """Whether a browser path is the page of ``route`` (a ``[param]`` segment matches any value)."""
    got = [s for s in path.split("/") if s]
    want = [s for s in route.split("/") if s]
    return len(got) == len(want) and all(w.startswith("[") or g == w for g, w in zip(got, want, strict=True))


def client_connected(token: str) -> bool:
    """True while the tab's websocket is attached to this worker.

    Background tasks started by a button are not cancelled when a tab closes, so the loop asks
    the app's socket namespace itself. Only the local mapping is consulted on purpose: a tab
    that reconnects to another worker gets its ``on_load`` (and so a new loop) there.
    """
    if not token:
        return False
    try:
        namespace = RegistrationContext.get().app.event_namespace
    except (LookupError, RuntimeError):
        return False
    return namespace is not None and token in namespace.token_to_sid


async def run(
    tab: LiveState,
    *,
    connected: Callable[[str], bool] = client_connected,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """The loop of ``start_refresh`` (``tab`` is the state's background proxy); returns why it ended."""
    name = tab.__class__.__name__
    async with tab:
        tab._live_generation += 1
        generation = tab._live_generation
        token = tab.router.session.client_token
        tab._live_started()
    started = clock()
    reason: str | None = None
    try:
        while reason is None:
            reason = await _round(tab, generation)
            if reason is None and tab.LIVE_LIMIT_S is not None and clock() - started >= tab.LIVE_LIMIT_S:
                reason = TIME_UP
            if reason is None:
                await sleep(tab.LIVE_INTERVAL_S)
                if not connected(token):
                    reason = DISCONNECTED
    except asyncio.CancelledError:  # Reflex cancels page-load work when the tab navigates or goes away
        log.debug("%s refresh cancelled", name, extra={"generation": generation})
        raise
    if reason != SUPERSEDED:  # a newer loop owns the flags
        async with tab:
            if tab._live_generation == generation:
                tab._live_stopped()
    log.debug("%s refresh stopped: %s", name, reason, extra={"generation": generation})
    return reason


async def refresh_once(tab: LiveState) -> None:
    """One round on demand (a "refresh now" button), beside the periodic loop."""
    await _round(tab, None)


async def _round(tab: LiveState, generation: int | None) -> str | None:
    """Read once and copy the result in; None to go on, else why the loop should end.

    ``generation`` None is a one-off round: no check that a loop still owns the tab.
    """

    def superseded() -> bool:
        return generation is not None and tab._live_generation != generation

    async with tab:
        if superseded():
            return SUPERSEDED
        if generation is not None and not on_route(tab.router.url.path, tab.LIVE_ROUTE):
            return LEFT
        tab._bind_request_context()  # request id and client for the logs and the audit trail
        session = tab.session_token
        begun = tab._live_begin()
    if begun is None:
        return None
    try:
        principal = await principal_for_session(session)  # every round: a signed-out tab gets nothing
        reading = await tab._live_read(principal, begun)
    except NotAuthenticated:
        return SIGNED_OUT
    except Exception as exc:  # a backend briefly away: the page says so and keeps its last reading
        if not isinstance(exc, DomainError):
            log.warning("live refresh of %s failed", tab.__class__.__name__, exc_info=exc)
        async with tab:
            if superseded():
                return SUPERSEDED
            go_on = tab._live_failed(exc)
        return None if go_on else GAVE_UP
    async with tab:
        if superseded():
            return SUPERSEDED
        tab._set_access(principal)  # a changed role shows on the next round, as on the next click
        go_on = tab._live_apply(reading, begun)
    return None if go_on else FINISHED
