"""What happened to a turn: the one vocabulary of outcomes.

The conversation runtime decides every turn's outcome itself (see
``va_app/domain/conversations/outcome.py``); the event contract, the ingest fast path, the
API schemas, the conversation explorer and the console all take the words from here.

Only ``answered`` counts as automated: a non-answer, a refusal, a handoff and an error all count
against the automation rate and towards "unresolved intents".
"""

from __future__ import annotations

from typing import Final, Literal, TypeGuard, get_args

Outcome = Literal["answered", "unanswered", "blocked", "handoff", "error"]
# What an event may report: the runtime's outcomes, plus ``abandoned`` for conversations a
# client reports as left by the user (the runtime never produces it).
EventOutcome = Literal[Outcome, "abandoned"]

OUTCOMES: Final[tuple[Outcome, ...]] = get_args(Outcome)
EVENT_OUTCOMES: Final[tuple[str, ...]] = (*OUTCOMES, "abandoned")
AUTOMATED: Final[Outcome] = "answered"

DEFINITIONS: Final[dict[str, str]] = {
    "answered": "the agent answered; for an agent with knowledge, the reply is grounded in the retrieved chunks",
    "unanswered": (
        "the agent had no answer: the model followed the no-answer convention or said it does not know, "
        "with nothing else in the reply"
    ),
    "blocked": "refused: a blocked topic of the version, or every model refused the content (a content policy)",
    "handoff": "handed over to a person (asked for, a handoff rule, or too many failed turns)",
    "error": "the turn failed (no model could answer)",
    "abandoned": "reported by a client: the user left the conversation",
}


def is_outcome(value: str) -> TypeGuard[Outcome]:
    return value in OUTCOMES
