"""The offline local model answers from knowledge, and says so when it knows nothing relevant."""

from __future__ import annotations

from va_app.domain.llm.providers.local import GREETING_REPLY, NOTHING_KNOWN, compose_answer

KNOWLEDGE = (
    "Check-in starts at 3 pm. Check-out is until 11 am. Late check-out can be requested at reception.",
    "Q: Is there parking?\nA: Yes, underground parking costs 25 EUR per night.",
    "The spa is open daily from 7 am to 9 pm. The pool is heated.",
)


def test_picks_the_relevant_sentences() -> None:
    answer = compose_answer("When is check-out?", KNOWLEDGE)
    assert "11 am" in answer and "spa" not in answer


def test_faq_chunks_answer_with_the_answer_part() -> None:
    answer = compose_answer("Do you have parking for my car?", KNOWLEDGE)
    assert "25 EUR" in answer and "Q:" not in answer


def test_honest_when_nothing_is_known() -> None:
    assert compose_answer("Can I bring my pet iguana?", KNOWLEDGE) == NOTHING_KNOWN
    assert compose_answer("What are the opening hours?", ()) == NOTHING_KNOWN


def test_greeting() -> None:
    assert compose_answer("Hello there", KNOWLEDGE) == GREETING_REPLY


def test_word_forms_meet() -> None:
    dive = ("Q: Can I dive at the resort?\nA: The dive centre offers boat dives for 140 EUR.",)
    assert "140 EUR" in compose_answer("Can I go diving?", dive)
    assert "25 EUR" in compose_answer("parking?", KNOWLEDGE)
