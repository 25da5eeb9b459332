"""A fast heuristic: does the last user message need a large model?

A learned classifier would cost milliseconds and a model file; these signals cost a few
microseconds and catch what matters for cost: short FAQ-like questions go to the small
model, long, multi-step, code or reasoning requests to the large one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Complexity = Literal["simple", "complex"]

_REASONING = re.compile(
    r"\b(why|explain|analy[sz]e|compare|contrast|evaluate|reason|prove|derive|calculate|compute|estimate|"
    r"step[- ]by[- ]step|trade-?offs?|pros and cons|design|architect|plan|strategy|optimi[sz]e|debug|refactor|"
    r"implement|algorithm|summari[sz]e|translate|write (?:a|an|the) (?:essay|report|story|email|letter|function))\b",
    re.IGNORECASE,
)
_CODE = re.compile(
    r"```|\bdef |\bclass |\bimport |\bfunction\b|\breturn\b|=>|\{\s*\}|;\s*$|\bSELECT\b.+\bFROM\b|"
    r"\bTraceback\b|\bexception\b|\bstack trace\b|\bregex\b|\bSQL\b|\bpython\b|\bjavascript\b",
    re.IGNORECASE | re.MULTILINE,
)
_STEPS = re.compile(r"(^\s*(\d+[.)]|[-*])\s+)|\b(first|then|after that|finally|and also|additionally)\b", re.I | re.M)
_MATH = re.compile(r"\d+\s*[-+*/^%]\s*\d+|[∑∫√≤≥]")


@dataclass(frozen=True, slots=True)
class Classification:
    label: Complexity
    score: int
    reasons: tuple[str, ...]


def classify(text: str) -> Classification:
    """Score signals; two points or more means complex."""
    reasons: list[str] = []
    score = 0
    words = len(text.split())
    if words > 80:
        score += 2
        reasons.append("long")
    elif words > 35:
        score += 1
        reasons.append("medium length")
    if _CODE.search(text):
        score += 2
        reasons.append("code")
    if _REASONING.search(text):
        score += 1 if words <= 12 else 2
        reasons.append("reasoning words")
    steps = len(_STEPS.findall(text))
    if steps >= 2:
        score += 1
        reasons.append("multi-step")
    if text.count("?") >= 3:
        score += 1
        reasons.append("several questions")
    if _MATH.search(text):
        score += 1
        reasons.append("math")
    return Classification("complex" if score >= 2 else "simple", score, tuple(reasons))
