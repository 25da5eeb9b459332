"""State of the event pipeline page: backlog per topic, ingest rate, dead letters.

Refreshes itself every few seconds while the page is open (a background event, I/O outside
the state lock), like the Overview page.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypedDict

import reflex as rx

from va_app.console import routes
from va_app.console.states.auth import AuthState, error_text
from va_app.console.states.formatting import stamp
from va_app.domain.errors import DomainError, NotAuthenticated
from va_app.domain.status.pipeline import list_dead_letters, pipeline_status

REFRESH_S = 5.0


class TopicRow(TypedDict):
    topic: str
    backlog: int


class RatePoint(TypedDict):
    minute: str
    events: int


class ReasonRow(TypedDict):
    reason: str
    n: int
    last_seen: str


class LetterRow(TypedDict):
    time: str
    type: str
    source: str
    reason: str
    raw: str


class PipelineState(AuthState):
    topics: list[TopicRow] = []
    backlog_total: int = 0
    worker_reporting: bool = False
    rate: list[RatePoint] = []
    events_last_hour: int = 0
    reasons: list[ReasonRow] = []
    dead_letters_7d: int = 0
    letters: list[LetterRow] = []
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
                if generation != self._generation or not self.router.url.path.startswith(routes.PIPELINE):
                    return
                try:
                    principal = await self._principal()
                except NotAuthenticated:
                    return
            try:
                status = await pipeline_status(principal)
                letters = await list_dead_letters(principal, 50)
                error = ""
            except DomainError as exc:
                status, letters, error = None, [], error_text(exc)
            except Exception as exc:  # analytics store down: say so, keep the last reading
                status, letters = None, []
                error = f"Could not read the pipeline status ({type(exc).__name__}). Retrying in {REFRESH_S:.0f} s."
            async with self:
                self._apply(status, letters, error)
            await asyncio.sleep(REFRESH_S)

    def _apply(self, status: dict[str, Any] | None, letters: list[dict[str, Any]], error: str) -> None:
        self.loaded = True
        self.error = error
        if status is None:
            return
        backlog = status["backlog"]
        self.worker_reporting = bool(backlog["worker_reporting"])
        self.backlog_total = int(backlog["total"] or 0)
        self.topics = [TopicRow(topic=t, backlog=n) for t, n in sorted(backlog["topics"].items())]
        self.rate = [RatePoint(minute=r["minute"][11:16], events=int(r["events"])) for r in status["ingest_per_minute"]]
        self.events_last_hour = int(status["events_last_hour"])
        self.reasons = [
            ReasonRow(reason=r["reason"], n=int(r["n"]), last_seen=stamp(r["last_seen"]))
            for r in status["dead_letter_reasons"]
        ]
        self.dead_letters_7d = int(status["dead_letters_last_7_days"])
        self.letters = [
            LetterRow(
                time=stamp(r["received_at"]),
                type=r["type"] or "—",
                source=r["source"],
                reason=r["reason"],
                raw=r["raw"][:300],
            )
            for r in letters
        ]
