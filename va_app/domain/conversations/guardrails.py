"""Guardrails around a turn: PII masking, blocked topics, and when a person takes over.

Everything here is pure (no I/O) so it is unit-tested directly and runs in microseconds on
the hot path. The decisions read the agent version's ``guardrails`` and ``handoff_rules``
(see :mod:`va_app.domain.agents.versions`); unknown or missing fields fall back to safe defaults
(mask PII, hand off when asked).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from va_app.domain.conversations import pii
from va_app.domain.conversations.pii import Masked

HandoffReason = Literal["user_request", "keyword", "intent", "low_confidence", "no_answer"]

# "I want to talk to a person", "can I speak with a human agent?", "get me a real person",
# "connect me to customer service", "representative please", "operator".
_PERSON = (
    r"(?:a |an |the |some |your |real |live |actual |human |)*"
    r"(?:person|human|people|agent|representative|rep|operator|someone|somebody|staff|colleague|manager"
    r"|customer service|support team)"
)
_ASK_FOR_PERSON = re.compile(
    r"\b(?:talk|speak|chat|connect|transfer|put|get|escalate|hand|pass)\w*\b(?:\s+\w+){0,3}?\s+(?:to|with|me)?\s*"
    + _PERSON
    + r"\b"
    r"|\b(?:human|real person|live agent|representative|operator)\s*(?:please|pls|now)\b"
    r"|^\s*(?:human|agent|operator|representative)\s*[.!?]*\s*$",
    re.IGNORECASE,
)
# A few everyday words per common blocked topic, so "who should I vote for?" is caught by
# "politics" without an embedding; other topics match on their own words (stems).
TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "politics": ("politic", "election", "vote", "voting", "president", "prime minister", "parliament", "senator"),
    "medical diagnosis": ("diagnos", "symptom", "disease", "prescri", "medication", "is it cancer"),
    "legal advice": ("lawyer", "sue ", "lawsuit", "legal advice", "attorney", "court case"),
    "religion": ("religio", "god ", "church", "mosque", "temple"),
    "competitor pricing": ("competitor", "cheaper than"),
}
_STOP = {"the", "a", "an", "of", "and", "or", "to", "for", "in", "on", "about", "with", "others", "other"}


@dataclass(frozen=True)
class GuardrailConfig:
    pii_masking: bool = True
    blocked_topics: tuple[str, ...] = ()
    handoff_enabled: bool = True
    handoff_keywords: tuple[str, ...] = ()
    handoff_intents: tuple[str, ...] = ()
    max_failed_turns: int | None = 2
    min_confidence: float | None = None
    target_queue: str = "support"
    handoff_message: str = "Let me connect you with a colleague who can help."

    @classmethod
    def from_version(cls, guardrails: dict[str, Any], handoff: dict[str, Any]) -> GuardrailConfig:
        return cls(
            pii_masking=bool(guardrails.get("pii_masking", True)),
            blocked_topics=tuple(str(t) for t in guardrails.get("blocked_topics") or ()),
            handoff_enabled=bool(handoff.get("enabled", True)),
            handoff_keywords=tuple(str(k) for k in handoff.get("on_keywords") or ()),
            handoff_intents=tuple(str(i) for i in handoff.get("on_intents") or ()),
            max_failed_turns=handoff.get("max_failed_turns", 2),
            min_confidence=handoff.get("min_confidence"),
            target_queue=str(handoff.get("target_queue") or "support"),
            handoff_message=str(handoff.get("message") or cls.handoff_message),
        )


def mask_input(text: str) -> Masked:
    """Always mask what leaves this process (provider, logs, events, caches)."""
    return pii.mask(text)


def asks_for_person(text: str) -> bool:
    return bool(_ASK_FOR_PERSON.search(text))


def _contains(text: str, needle: str) -> bool:
    needle = needle.strip().lower()
    if not needle:
        return False
    if " " in needle or not needle.isalnum():
        return needle in text
    return re.search(rf"\b{re.escape(needle)}\b", text) is not None


def handoff_reason(text: str, config: GuardrailConfig, intent: str = "") -> HandoffReason | None:
    """Why this message goes to a person, or None. An explicit request always counts."""
    if asks_for_person(text):
        return "user_request"
    if not config.handoff_enabled:
        return None
    lowered = text.lower()
    if any(_contains(lowered, k) for k in config.handoff_keywords):
        return "keyword"
    if intent and intent in config.handoff_intents:
        return "intent"
    return None


def _topic_stems(topic: str) -> list[str]:
    words = [w for w in re.findall(r"[a-z]+", topic.lower()) if w not in _STOP]
    return [w[:6] if len(w) > 6 else w for w in words]


def blocked_topic(text: str, config: GuardrailConfig) -> str | None:
    """The first blocked topic the text is about (keywords and stems), or None."""
    lowered = f" {text.lower()} "
    for topic in config.blocked_topics:
        key = topic.strip().lower()
        if any(w in lowered for w in TOPIC_WORDS.get(key, ())):
            return topic
        stems = _topic_stems(key)
        if stems and all(re.search(rf"\b{re.escape(s)}", lowered) for s in stems):
            return topic
    return None


def refusal(topic: str) -> str:
    return f"I'm sorry, I can't help with {topic}. Is there anything else I can do for you?"


def low_confidence(best_score: float | None, threshold: float) -> bool:
    """The knowledge base had nothing close: the answer would be a guess."""
    return best_score is not None and best_score < threshold
