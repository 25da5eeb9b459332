"""The runtime's own verdict on a model's reply: answered or unanswered, grounded or not.

No provider says "I did not know"; the runtime decides, the same way for every provider:

1. **The no-answer convention.** Every system prompt tells the model to begin its reply with
   :data:`NO_ANSWER_MARKER` when it cannot answer (:data:`NO_ANSWER_INSTRUCTION`). A reply
   carrying the marker is ``unanswered``; the marker is stripped (also from a stream, by
   :class:`MarkerFilter`) and an empty remainder becomes :data:`NO_ANSWER_REPLY`.
2. **Admissions.** Models do not always follow conventions: a reply whose first sentence says
   it does not know ("I'm sorry, I don't have information about that", "the documents do not
   mention ...") and whose other sentences only apologise or offer help is ``unanswered`` too.
   A reply that admits a gap and then answers something ("I don't know about the sauna, but
   the spa opens at 10:00") is ``answered``.
3. **Grounding.** For an agent with knowledge, an answered reply is checked against the
   retrieved chunks: the share of its informative words found in them. The chunks that
   support the reply are its sources; a reply under :data:`GROUNDED_SHARE` is ungrounded
   (``grounded: false`` in the turn event) and never cached. Non-answers carry no sources.

Limits: the admission patterns are English; a model that invents an answer in words not in the
chunks is caught only as "ungrounded" (not cached, flagged), not as unanswered.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from va_app.domain.knowledge.search import RetrievedChunk
from va_app.domain.llm.relevance import terms

NO_ANSWER_MARKER = "[[no-answer]]"
NO_ANSWER_INSTRUCTION = (
    f"If you cannot answer the question from what you have been given, begin your reply with {NO_ANSWER_MARKER} "
    "and then tell the user in one short sentence that you do not know; never guess."
)
NO_ANSWER_REPLY = "I'm sorry, I don't have information about that."
# When every model refused the content (a provider's content policy): outcome ``blocked``.
PROVIDER_REFUSAL = "I'm sorry, I can't help with that request. Is there anything else I can do for you?"
GROUNDED_SHARE = 0.5  # share of a reply's informative words that must come from the chunks
MIN_SUPPORT = 2  # informative words a chunk must share with the reply to be one of its sources

# Tolerant of how models retype it: [[no-answer]], [[NO_ANSWER]], [[ no answer ]].
_MARKER = re.compile(r"\[\[\s*no[\s_-]?answer\s*\]\]", re.IGNORECASE)
_MARKER_SHAPE = "[[noanswer]]"
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_CONTRAST = re.compile(r";|:(?=\s)|,?\s+\b(?:but|however|although|though|yet|whereas)\b", re.IGNORECASE)
_ADMISSION = re.compile(
    r"\bi (?:do not|don't|dont|did not|didn't) (?:have|know|find|see|possess)\b"
    r"|\bi (?:have|had) no (?:information|details|data|knowledge|record|answer)"
    r"|\bi (?:cannot|can't|cant|could not|couldn't|am unable to|am not able to|was unable to|was not able to) "
    r"(?:find|answer|say|tell|help with th|locate|see|confirm|provide)"
    r"|\bi(?:'m| am) (?:not sure|unsure|afraid i (?:don't|do not|can't|cannot))"
    r"|\b(?:there is|there's|there are) no (?:information|details|mention|data)"
    r"|\bno information (?:about|on|regarding|is available)"
    r"|\b(?:the |these |this |my |our )?(?:excerpts?|documents?|knowledge base|context|information|sources?)"
    r"(?: (?:i have|provided|available|given))? (?:do|does|did) not (?:contain|mention|include|say|cover|specify)"
    r"|\b(?:doesn't|don't) (?:contain|mention|include|say|cover|specify)",
    re.IGNORECASE,
)
_OFFER = re.compile(
    r"\b(?:connect|transfer|put|pass) you\b|\bwould you like\b|\banything else\b|\bfeel free\b|\blet me know\b"
    r"|\b(?:happy|glad) to help\b|\bhelp you with\b|\bhow (?:else )?can i help\b|\b(?:contact|reach out|ask|call|"
    r"check with|speak (?:to|with)|get in touch)\b|\b(?:colleague|front desk|reception|support team|customer service)\b"
    r"|^\W*(?:i'm sorry|i am sorry|sorry|unfortunately|apologies|i apologi[sz]e)\W*$",
    re.IGNORECASE,
)

Verdict = Literal["answered", "unanswered"]


@dataclass(frozen=True)
class Judgement:
    outcome: Verdict
    reply: str  # what the user gets (marker stripped, never empty)
    reason: str = ""  # unanswered: "marker" or "admission"
    grounded: bool | None = None  # None: nothing to ground in (no knowledge, or not an answer)
    sources: list[RetrievedChunk] = field(default_factory=list)


def strip_marker(text: str) -> tuple[str, bool]:
    """``text`` without the no-answer marker, and whether it was there."""
    stripped, found = _MARKER.subn("", text)
    return (stripped.strip() if found else text), bool(found)


class MarkerFilter:
    """Removes the marker from a stream: holds back a tail that could be the start of one."""

    def __init__(self) -> None:
        self._held = ""
        self._started = False
        self.seen = False

    def _out(self, text: str) -> str:
        if not self._started:  # the reply begins after the marker: no leading blank
            text = text.lstrip()
            self._started = bool(text)
        return text

    def feed(self, delta: str) -> str:
        text, found = _MARKER.subn("", self._held + delta)
        self.seen = self.seen or bool(found)
        cut = _possible_start(text)
        self._held = text[cut:]
        return self._out(text[:cut])

    def flush(self) -> str:
        text, found = _MARKER.subn("", self._held)
        self._held = ""
        self.seen = self.seen or bool(found)
        return self._out(text)


def _possible_start(text: str) -> int:
    """Where a suffix of ``text`` that could still grow into the marker begins (``len(text)``: none)."""
    for i in range(max(0, len(text) - 2 * len(_MARKER_SHAPE)), len(text)):
        if text[i] == "[" and _MARKER_SHAPE.startswith(re.sub(r"[\s_-]", "", text[i:]).lower()):
            return i
    return len(text)


def _clauses(sentence: str) -> list[str]:
    return [c.strip() for c in _CONTRAST.split(sentence) if c and c.strip(" ,;")]


def admits_not_knowing(reply: str) -> bool:
    """The first sentence says it does not know, and no clause anywhere says more than sorry/help.

    Clauses are split at "but", "however", ";" so "I don't know about the sauna, but the spa
    opens at 10:00" is an answer.
    """
    sentences = [s.strip() for s in _SENTENCE.split(reply.replace("\u2019", "'")) if s.strip()]
    if not sentences or not any(_ADMISSION.search(c) for c in _clauses(sentences[0])):
        return False
    return all(_ADMISSION.search(c) or _OFFER.search(c) for s in sentences for c in _clauses(s))


def grounding(reply: str, chunks: Sequence[RetrievedChunk]) -> tuple[float, list[RetrievedChunk]]:
    """Share of the reply's informative words found in ``chunks``, and the chunks that support it."""
    words = set(terms(reply))
    if not words or not chunks:
        return 0.0, []
    covered: set[str] = set()
    support: list[RetrievedChunk] = []
    need = min(MIN_SUPPORT, len(words))
    for chunk in chunks:
        shared = words & set(terms(chunk.content))
        covered |= shared
        if len(shared) >= need:
            support.append(chunk)
    return len(covered) / len(words), support


def judge(reply: str, *, marked: bool, chunks: Sequence[RetrievedChunk], has_knowledge: bool) -> Judgement:
    """The verdict on a reply (already stripped of the marker; ``marked``: it carried one)."""
    if marked:
        return Judgement("unanswered", reply if reply.strip() else NO_ANSWER_REPLY, reason="marker")
    if admits_not_knowing(reply):
        return Judgement("unanswered", reply, reason="admission")
    if not has_knowledge:
        return Judgement("answered", reply)
    share, support = grounding(reply, chunks)
    return Judgement("answered", reply, grounded=share >= GROUNDED_SHARE, sources=support)
