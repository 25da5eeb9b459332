"""State of the "Try it" tab: talk to the agent from the console through the real chat runtime.

Operators test an agent the way its users meet it, so a turn goes through
``va_app.domain.conversations.runtime.chat`` like an API call (version pinning, guardrails, caches,
knowledge, router, budgets, events) with ``channel="console"`` so analytics can tell these
turns apart. The runtime checks ``chat`` permission and the deployment; its refusals become
sentences in the transcript. A turn runs as a background event so a slow model does not lock
the page, and a conversation id is kept so follow-ups share the context held in Redis.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any, TypedDict

import reflex as rx
from reflex.event import EventSpec

from core.logs import request_id_var
from va_app.console.states.agent_detail import AgentDetailState
from va_app.console.states.auth import error_text
from va_app.domain.agents.resolver import ENVIRONMENTS
from va_app.domain.conversations.console import CHANNEL, console_chat
from va_app.domain.conversations.context import new_conversation_id
from va_app.domain.conversations.turn import ChatInput, ChatOutput
from va_app.domain.errors import DomainError, NotAuthenticated

log = logging.getLogger(__name__)

INPUT_ID = "chat-message"
DEFAULT_ENVIRONMENT = "production"


class ChatTurn(TypedDict):
    """One exchange of the transcript, formatted for badges (empty strings: not known)."""

    message: str
    reply: str
    pending: bool  # sent, no answer yet
    error: str  # the readable refusal or failure, when the turn has no reply
    outcome: str  # core.outcomes: answered / unanswered / blocked / handoff / error
    version: str
    model: str
    cache: str
    latency: str
    cost: str
    handoff: str  # what the handoff was, in words
    sources: list[str]  # one entry per document: "faq.csv 0.83 · 0.61"


def _usd(value: float) -> str:
    """Costs are fractions of a cent: six decimals, trailing zeros dropped ("$0" for the local model)."""
    return "$" + (f"{value:.6f}".rstrip("0").rstrip(".") or "0")


def _sources(sources: list[dict[str, Any]]) -> list[str]:
    """Retrieved chunks grouped by document, best score first, so three FAQ rows are one entry."""
    scores: dict[str, list[float]] = {}
    for source in sources:
        scores.setdefault(str(source.get("document") or "?"), []).append(float(source.get("score") or 0.0))
    ranked = sorted(scores.items(), key=lambda item: -max(item[1]))
    return [f"{doc} " + " · ".join(f"{s:.2f}" for s in sorted(values, reverse=True)) for doc, values in ranked]


def _handoff_text(handoff: dict[str, Any] | None) -> str:
    if not handoff:
        return ""
    reason = str(handoff.get("reason") or "").replace("_", " ")
    queue = str(handoff.get("target_queue") or "")
    text = "Handed over to a person" + (f" ({reason})" if reason else "")
    return text + (f", queue {queue}." if queue else ".")


def _unanswered(message: str, error: str = "") -> ChatTurn:
    """The user's message alone: still waiting (no ``error``), or refused/failed with ``error`` in words."""
    return ChatTurn(
        message=message,
        reply="",
        pending=not error,
        error=error,
        outcome="error" if error else "",
        version="",
        model="",
        cache="",
        latency="",
        cost="",
        handoff="",
        sources=[],
    )


def _answered(message: str, out: ChatOutput) -> ChatTurn:
    return ChatTurn(
        message=message,
        reply=out.reply,
        pending=False,
        error="",
        outcome=out.outcome,
        version=f"v{out.version}",
        model=out.model,
        cache=out.cached,
        latency=f"{out.latency_ms:.0f} ms",
        cost=_usd(out.cost_usd),
        handoff=_handoff_text(out.handoff) if out.outcome == "handoff" else "",
        sources=_sources(out.sources),
    )


class AgentChatState(AgentDetailState):
    """The environment being tried, the conversation id and its transcript."""

    chat_env: rx.Field[str] = rx.field(DEFAULT_ENVIRONMENT)
    conversation_id: rx.Field[str] = rx.field("")
    turns: rx.Field[list[ChatTurn]] = rx.field(default_factory=list)
    sending: rx.Field[bool] = rx.field(False)
    # Bumped by every reset: an answer that arrives for an older conversation is dropped.
    _generation: int = 0

    @rx.var
    def served_environments(self) -> list[str]:
        """Environments with a version serving all of them (only those can answer)."""
        return [c["environment"] for c in self.environments if c["deployed"]]

    @rx.var
    def env_labels(self) -> dict[str, str]:
        """``production · v2`` or ``staging · nothing deployed``, for the environment picker."""
        labels: dict[str, str] = {env: f"{env} · nothing deployed" for env in ENVIRONMENTS}
        for card in self.environments:
            if card["deployed"]:
                labels[card["environment"]] = f"{card['environment']} · {card['stable']}"
        return labels

    def _reset_conversation(self) -> None:
        self._generation += 1
        self.conversation_id = new_conversation_id()
        self.turns = []
        self.sending = False

    @rx.event
    def reset_chat(self) -> None:
        """``on_load`` (after the agent): a new conversation in production, or the furthest environment serving."""
        served = self.served_environments
        if DEFAULT_ENVIRONMENT in served or not served:
            self.chat_env = DEFAULT_ENVIRONMENT
        else:
            self.chat_env = served[-1]
        self._reset_conversation()

    @rx.event
    def new_conversation(self) -> EventSpec:
        """Forget the transcript and talk as a new end user (new context, new version pin)."""
        self._reset_conversation()
        return rx.set_focus(INPUT_ID)

    @rx.event
    def set_chat_env(self, value: str) -> None:
        """Context and version pins belong to one environment, so switching starts a new conversation."""
        if value in ENVIRONMENTS and value != self.chat_env:
            self.chat_env = value
            self._reset_conversation()

    @rx.event(background=True)
    async def send(self, form: dict[str, Any]) -> AsyncIterator[EventSpec | list[EventSpec] | None]:
        """One turn: show the message at once, ask the runtime outside the state lock, then the reply."""
        message = str(form.get("message") or "").strip()
        signed_out: EventSpec | None = None
        async with self:
            if self.sending or not message:
                return
            try:
                principal = await self._principal()
            except NotAuthenticated as exc:
                signed_out = self._to_login(exc.message)
            else:
                generation, index = self._generation, len(self.turns)
                self.turns = [*self.turns, _unanswered(message)]
                self.sending = True
                slug = self.slug
                inp = ChatInput(
                    message=message,
                    conversation_id=self.conversation_id or None,
                    environment=self.chat_env,
                    channel=CHANNEL,
                    request_id=request_id_var.get(),
                )
        if signed_out is not None:
            yield signed_out
            return
        yield [rx.set_value(INPUT_ID, ""), rx.scroll_to(INPUT_ID, align_to_top=False)]
        try:
            out = await console_chat(principal, slug, inp)
            turn = _answered(message, out)
        except DomainError as exc:
            out, turn = None, _unanswered(message, error_text(exc))
        except Exception:  # a backend away mid-turn: the log has the trace, the operator a sentence
            log.exception("console chat turn failed", extra={"agent": slug, "conversation_id": inp.conversation_id})
            out, turn = None, _unanswered(message, "The turn failed unexpectedly; it has been logged. Try again.")
        async with self:
            if generation != self._generation:
                return  # "New conversation" (or another agent) came first: this answer belongs to no transcript
            if out is not None:
                self.conversation_id = out.conversation_id
            self.turns = [turn if i == index else t for i, t in enumerate(self.turns)]
            self.sending = False
        yield [rx.set_focus(INPUT_ID), rx.scroll_to(INPUT_ID, align_to_top=False)]
