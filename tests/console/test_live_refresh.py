"""The console's live-refresh loop (``va_app.console.states.live``), without a browser.

``run`` gets a stand-in for the page state's background proxy: ``async with`` takes a lock as
``async with self`` does, and the steps record what they see. Time, the socket check and the
session lookup are replaced, so each test walks the loop round by round.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import pkgutil
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import pytest

import va_app.console.states as states_pkg
from va_app.console import routes
from va_app.console.states import live
from va_app.console.states.auth import AuthState
from va_app.domain.errors import NotAuthenticated, NotFound

PRINCIPAL = object()


class Tab:
    """A page state as the loop sees it (the loop reads the router, the session and the steps)."""

    LIVE_ROUTE = "/things/[thing_id]"
    LIVE_INTERVAL_S = 5.0
    LIVE_LIMIT_S: float | None = None

    def __init__(self, read: Callable[[Any], Awaitable[Any]] | None = None) -> None:
        self._lock = asyncio.Lock()
        self._live_generation = 0
        self.router = SimpleNamespace(
            session=SimpleNamespace(client_token="tab-1"), url=SimpleNamespace(path="/things/42/")
        )
        self.session_token = "session-1"
        self.filter: Any = "all"
        self.read = read or self._count
        self.reads = 0
        self.applied: list[Any] = []
        self.failures: list[Exception] = []
        self.events: list[str] = []
        self.keep_going = True
        self.retry = True

    async def _count(self, _begun: Any) -> int:
        self.reads += 1
        return self.reads

    async def __aenter__(self) -> Tab:
        await self._lock.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._lock.release()

    def _bind_request_context(self) -> None:
        assert self._lock.locked()

    def _set_access(self, principal: object) -> None:
        assert principal is PRINCIPAL
        self.events.append("access")

    def _live_started(self) -> None:
        assert self._lock.locked()
        self.events.append("started")

    def _live_stopped(self) -> None:
        assert self._lock.locked()
        self.events.append("stopped")

    def _live_begin(self) -> Any:
        assert self._lock.locked()
        return self.filter

    async def _live_read(self, principal: object, begun: Any) -> Any:
        assert principal is PRINCIPAL
        assert not self._lock.locked(), "reads run outside the state lock"
        return await self.read(begun)

    def _live_apply(self, reading: Any, begun: Any) -> bool:
        assert self._lock.locked()
        self.applied.append((reading, begun))
        return self.keep_going

    def _live_failed(self, exc: Exception) -> bool:
        assert self._lock.locked()
        self.failures.append(exc)
        return self.retry


class Clock:
    """Fake time: ``sleep`` moves it on at once and runs what a test scheduled for that sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.at_sleep: dict[int, Callable[[], None]] = {}

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if action := self.at_sleep.get(len(self.sleeps)):
            action()
        await asyncio.sleep(0)


@pytest.fixture
def signed_in(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Every session is valid; the list records which session each round checked."""
    seen: list[str | None] = []

    async def principal_for_session(token: str | None) -> object:
        seen.append(token)
        return PRINCIPAL

    monkeypatch.setattr(live, "principal_for_session", principal_for_session)
    return seen


async def run(tab: Tab, clock: Clock, connected: Callable[[str], bool] = lambda _token: True) -> str:
    return await live.run(tab, connected=connected, sleep=clock.sleep, clock=clock)  # type: ignore[arg-type]


async def test_reads_at_once_then_every_interval_until_the_tab_leaves_the_page(signed_in: list[str | None]) -> None:
    tab, clock = Tab(), Clock()
    clock.at_sleep[3] = lambda: setattr(tab.router.url, "path", "/elsewhere")

    assert await run(tab, clock) == live.LEFT
    assert [reading for reading, _ in tab.applied] == [1, 2, 3]
    assert clock.sleeps == [5.0, 5.0, 5.0]
    assert signed_in == ["session-1"] * 3  # the session is checked again every round
    assert tab.events == ["started", "access", "access", "access", "stopped"]


async def test_a_newer_loop_takes_over_and_the_older_one_writes_nothing_more(signed_in: list[str | None]) -> None:
    gate, reading = asyncio.Event(), asyncio.Event()

    async def read(begun: Any) -> Any:
        if begun == "first":  # the first loop's read is slow
            reading.set()
            await gate.wait()
        return begun

    tab, clock = Tab(read), Clock()
    tab.filter = "first"
    older = asyncio.create_task(run(tab, clock))
    await reading.wait()

    tab.filter = "second"  # e.g. a changed filter starts a new loop while the first is reading
    clock.at_sleep[1] = gate.set
    clock.at_sleep[2] = lambda: setattr(tab.router.url, "path", "/elsewhere")
    newer = await run(tab, clock)

    assert await older == live.SUPERSEDED
    assert newer == live.LEFT
    assert [begun for _, begun in tab.applied] == ["second", "second"]  # nothing from the older read
    assert tab.events.count("started") == 2
    assert tab.events.count("stopped") == 1  # only the newer loop ends the tab's live state


async def test_stops_when_the_tab_disconnects(signed_in: list[str | None]) -> None:
    tab, clock = Tab(), Clock()
    tokens: list[str] = []

    def connected(token: str) -> bool:
        tokens.append(token)
        return False

    assert await run(tab, clock, connected) == live.DISCONNECTED
    assert tokens == ["tab-1"]
    assert len(tab.applied) == 1
    assert tab.events[-1] == "stopped"


async def test_stops_without_reading_when_signed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    async def principal_for_session(token: str | None) -> object:
        raise NotAuthenticated("session expired")

    monkeypatch.setattr(live, "principal_for_session", principal_for_session)
    tab = Tab()

    assert await run(tab, Clock()) == live.SIGNED_OUT
    assert tab.reads == 0
    assert tab.applied == []
    assert tab.events == ["started", "stopped"]


async def test_a_failed_read_is_shown_then_retried(
    signed_in: list[str | None], caplog: pytest.LogCaptureFixture
) -> None:
    attempts = 0

    async def read(_begun: Any) -> int:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise ConnectionError("backend away")
        if attempts == 2:
            raise NotFound("no such thing")  # a service refusal: shown, not logged as a failure
        return attempts

    tab, clock = Tab(read), Clock()
    clock.at_sleep[3] = lambda: setattr(tab.router.url, "path", "/elsewhere")
    with caplog.at_level(logging.WARNING, logger=live.__name__):
        assert await run(tab, clock) == live.LEFT

    assert [type(exc) for exc in tab.failures] == [ConnectionError, NotFound]
    assert [reading for reading, _ in tab.applied] == [3]
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [ConnectionError]


async def test_a_step_can_end_the_loop(signed_in: list[str | None]) -> None:
    finished, failed = Tab(), Tab()
    finished.keep_going = False  # e.g. no document is being embedded any more

    async def broken(_begun: Any) -> int:
        raise NotFound("deleted meanwhile")

    failed.read, failed.retry = broken, False

    assert await run(finished, Clock()) == live.FINISHED
    assert await run(failed, Clock()) == live.GAVE_UP
    assert finished.events[-1] == failed.events[-1] == "stopped"


async def test_stops_after_its_time_limit(signed_in: list[str | None]) -> None:
    tab, clock = Tab(), Clock()
    tab.LIVE_LIMIT_S = 12.0

    assert await run(tab, clock) == live.TIME_UP
    assert tab.reads == 4  # at 0, 5, 10 and 15 s
    assert tab.events[-1] == "stopped"


async def test_a_round_without_anything_to_read_waits_for_the_next(signed_in: list[str | None]) -> None:
    tab, clock = Tab(), Clock()
    tab.filter = None  # e.g. an invalid custom range, already explained on the page
    clock.at_sleep[2] = lambda: setattr(tab.router.url, "path", "/elsewhere")

    assert await run(tab, clock) == live.LEFT
    assert tab.reads == 0
    assert clock.sleeps == [5.0, 5.0]


async def test_refresh_once_reads_beside_the_loop(signed_in: list[str | None]) -> None:
    tab = Tab()
    tab._live_generation = 7
    tab.router.url.path = "/elsewhere"  # a one-off round does not ask which page the tab shows

    await live.refresh_once(tab)  # type: ignore[arg-type]

    assert [reading for reading, _ in tab.applied] == [1]
    assert tab._live_generation == 7
    assert tab.events == ["access"]


@pytest.mark.parametrize(
    ("path", "route", "expected"),
    [
        ("/", "/", True),
        ("/pipeline", "/", False),
        ("/pipeline/", "/pipeline", True),  # the production build adds a slash
        ("/pipeline", "/pipeline", True),
        ("/pipeline-old", "/pipeline", False),
        ("/knowledge/3f2a/", "/knowledge/[kb_id]", True),
        ("/knowledge", "/knowledge/[kb_id]", False),
        ("/knowledge/3f2a/extra", "/knowledge/[kb_id]", False),
    ],
)
def test_on_route(path: str, route: str, expected: bool) -> None:
    assert live.on_route(path, route) is expected


def test_no_connection_without_a_token_or_an_app() -> None:
    assert live.client_connected("") is False
    assert live.client_connected("tab-1") is False  # no running app in this process


def test_every_live_page_state_uses_the_shared_loop() -> None:
    for module in pkgutil.iter_modules(states_pkg.__path__):
        importlib.import_module(f"{states_pkg.__name__}.{module.name}")
    live_states = {cls.__name__: cls for cls in AuthState.get_substates() if issubclass(cls, live.LiveState)}

    assert set(live_states) == {
        "AlertsState",
        "AnalyticsState",
        "IntegrationsState",
        "KnowledgeBaseState",
        "LLMState",
        "OverviewState",
        "PipelineState",
        "WebhooksState",
    }
    known_routes = {value for name, value in vars(routes).items() if name.isupper() and isinstance(value, str)}
    for cls in live_states.values():
        handler = cls.event_handlers["start_refresh"]
        assert handler.is_background and handler.supersedes, cls.__name__
        # declared as ClassVar: a plain class attribute would become a var sent to the browser
        assert not [name for name in cls.vars if name.startswith("LIVE_")], cls.__name__
        assert cls.LIVE_ROUTE in known_routes, cls.__name__
        assert "_live_generation" in cls.__fields__, cls.__name__
