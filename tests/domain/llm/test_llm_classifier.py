"""The complexity heuristic: short FAQ-like questions are simple; code, reasoning, long or multi-step are not."""

from __future__ import annotations

import pytest

from va_app.domain.llm.classifier import classify


@pytest.mark.parametrize(
    "text",
    [
        "What time is check-in?",
        "Do you have parking?",
        "How do I reset my password?",
        "hi",
        "Is breakfast included in the room rate?",
        "Where is the nearest metro station?",
    ],
)
def test_faq_like_messages_are_simple(text: str) -> None:
    assert classify(text).label == "simple"


@pytest.mark.parametrize(
    "text",
    [
        "Why does my Python script raise a KeyError?\n```\nd = {}\nprint(d['x'])\n```",
        "Explain step by step how to migrate our booking system from MySQL to PostgreSQL, "
        "compare the trade-offs of logical replication and dump/restore, and design a rollback plan.",
        "First check my reservation, then compare the two room types, and finally calculate the total for 3 nights.",
        "def total(xs): return sum(xs) / len(xs)  -- why does this crash on an empty list?",
        " ".join(["word"] * 120),
    ],
)
def test_code_reasoning_long_and_multi_step_are_complex(text: str) -> None:
    assert classify(text).label == "complex", classify(text)


def test_reasons_are_reported() -> None:
    result = classify("Explain why this SQL is slow: SELECT * FROM bookings WHERE guest LIKE '%a%'")
    assert result.label == "complex"
    assert "code" in result.reasons and "reasoning words" in result.reasons
