"""State of the conversation explorer (``/conversations``): search, list, one transcript.

Filters come from the URL too, so a dashboard drill-down (``?agent=…&start=…&end=…``) opens
the explorer already narrowed to the clicked bucket or dimension value.
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

import reflex as rx
from reflex.event import EventSpec

from va_app.console.states.auth import AuthState
from va_app.console.states.formatting import stamp
from va_app.domain.dashboards.explorer import ConversationSearch, conversation_transcript, search_conversations
from va_app.domain.errors import DomainError
from va_app.domain.reports.narrative import fmt

FIELDS = ("q", "agent", "version", "outcome", "channel", "model", "intent", "start", "end")


class ConversationRow(TypedDict):
    conversation_id: str
    agent_id: str
    version: str
    channel: str
    last_turn: str
    turns: int
    outcome: str
    cost: str
    started_iso: str


class TurnRow(TypedDict):
    time: str
    user_message: str
    reply: str
    model: str
    latency: str
    tokens: str
    cost: str
    cache_kind: str
    outcome: str


def _parse(value: str) -> dt.datetime | None:
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class ConversationsState(AuthState):
    q: str = ""
    agent: str = ""
    version: str = ""
    outcome: str = ""
    channel: str = ""
    model: str = ""
    intent: str = ""
    start: str = ""
    end: str = ""
    rows: list[ConversationRow] = []
    selected: str = ""
    turns: list[TurnRow] = []
    error: str = ""
    loading: bool = False

    @rx.event
    async def load(self) -> EventSpec | None:
        """``on_load``: filters from the URL, then search (and open ``?conversation=``).

        Reflex can deliver ``on_load`` a second time for one navigation (client-side redirect,
        then hydration); an open transcript that still matches the list survives it, so a
        transcript the operator just opened does not vanish under them.
        """
        params = self.router.url.query_parameters
        for name in FIELDS:
            setattr(self, name, params.get(name, ""))
        result = await self._search()
        if self.selected not in {row["conversation_id"] for row in self.rows}:
            self.selected, self.turns = "", []
        if params.get("conversation"):
            return ConversationsState.open_conversation(params["conversation"], "")  # type: ignore[operator]
        return result

    @rx.event
    async def set_field(self, name: str, value: str) -> EventSpec | None:
        if name in FIELDS:
            setattr(self, name, "" if value == "all" else value)
        return await self._search()

    @rx.event
    async def search(self) -> EventSpec | None:
        return await self._search()

    async def _search(self) -> EventSpec | None:
        filters = {
            "agent": self.agent,
            "outcome": self.outcome,
            "channel": self.channel,
            "model": self.model,
            "intent": self.intent,
        }
        clean: dict[str, str | int] = {k: v for k, v in filters.items() if v}
        if self.version.isdigit():
            clean["version"] = int(self.version)
        try:
            principal = await self._principal()
            search = ConversationSearch(
                start=_parse(self.start), end=_parse(self.end), text=self.q, filters=clean, limit=100
            )
            found = await search_conversations(principal, search)
        except DomainError as exc:
            return self._failed(exc)
        except ValueError:
            self.error = "The start or end is not a valid date and time."
            return None
        self.error = ""
        self.rows = [
            ConversationRow(
                conversation_id=r["conversation_id"],
                agent_id=r["agent_slug"] or r["agent_id"],
                version=str(r["version"]),
                channel=r["channel"] or "—",
                last_turn=stamp(r["last_turn"]),
                turns=int(r["turns"]),
                outcome="handoff" if r["handed_off"] else r["last_outcome"],
                cost=fmt("cost_usd", r["cost_usd"]),
                started_iso=r["started"],
            )
            for r in found
        ]
        return None

    @rx.event
    async def open_conversation(self, conversation_id: str, started_iso: str) -> EventSpec | None:
        try:
            principal = await self._principal()
            data = await conversation_transcript(principal, conversation_id, _parse(started_iso))
        except DomainError as exc:
            return self._failed(exc)
        self.selected = conversation_id
        self.turns = [
            TurnRow(
                time=str(t["ts"])[11:19],
                user_message=t["user_message"] or "—",
                reply=t["reply"] or "—",
                model=t["model"] or "—",
                latency=fmt("latency_ms", t["latency_ms"]),
                tokens=f"{int(t['prompt_tokens']) + int(t['completion_tokens']):,}",
                cost=fmt("cost_usd", t["cost_usd"]),
                cache_kind=t["cache_kind"],
                outcome=t["outcome"],
            )
            for t in data["turns"]
        ]
        return None

    @rx.event
    def close(self) -> None:
        self.selected, self.turns = "", []
