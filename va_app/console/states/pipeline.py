"""State of the event pipeline page: backlog per topic, ingest rate, dead letters.

Refreshes itself every few seconds while the page is open (``LiveState``: the reads run
outside the state lock).
"""

from __future__ import annotations

from typing import Any, ClassVar, TypedDict

from va_app.console import routes
from va_app.console.states.auth import AuthState
from va_app.console.states.formatting import stamp
from va_app.console.states.live import LiveState, failure_text
from va_app.domain.identity.principal import Principal
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


class PipelineState(LiveState, AuthState):
    LIVE_ROUTE: ClassVar[str] = routes.PIPELINE
    LIVE_INTERVAL_S: ClassVar[float] = REFRESH_S

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

    async def _live_read(self, principal: Principal, _begun: object) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return await pipeline_status(principal), await list_dead_letters(principal, 50)

    def _live_apply(self, reading: tuple[dict[str, Any], list[dict[str, Any]]], _begun: object) -> bool:
        self._apply(*reading, "")
        return True

    def _live_failed(self, exc: Exception) -> bool:
        """The analytics store down: say so, keep the last reading."""
        self._apply(None, [], failure_text(exc, "the pipeline status", REFRESH_S))
        return True

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
