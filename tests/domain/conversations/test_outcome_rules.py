"""The runtime's verdict rules on their own: the marker in any chunking, admissions, grounding."""

from __future__ import annotations

import pytest

from va_app.domain.conversations.outcome import NO_ANSWER_MARKER, MarkerFilter, admits_not_knowing, judge
from va_app.domain.knowledge.search import RetrievedChunk


def _stream(text: str, size: int) -> tuple[str, bool]:
    f = MarkerFilter()
    out = "".join(f.feed(text[i : i + size]) for i in range(0, len(text), size)) + f.flush()
    return out, f.seen


@pytest.mark.parametrize("size", [1, 2, 3, 5, 13, 100])
def test_the_marker_never_leaks_however_the_stream_is_cut(size: int) -> None:
    assert _stream(f"{NO_ANSWER_MARKER} Sorry, I do not know.", size) == ("Sorry, I do not know.", True)
    assert _stream("[[NO_ANSWER]]", size) == ("", True)
    # brackets that are not the marker pass through untouched
    assert _stream("See [1] and [[2]] for [[no", size) == ("See [1] and [[2]] for [[no", False)


@pytest.mark.parametrize(
    "reply",
    [
        "I'm sorry, I don't have information about that. I can connect you with a colleague; would you like that?",
        "Unfortunately, the documents provided do not mention parking for buses.",
        "I'm not sure. Please contact the front desk.",
        "I couldn\u2019t find anything about that, sorry!",
    ],
)
def test_admissions_without_content_are_non_answers(reply: str) -> None:
    assert admits_not_knowing(reply)


@pytest.mark.parametrize(
    "reply",
    [
        "I don't know about the sauna, but the spa offers massages from 10:00 to 20:00.",
        "Check-in starts at 15:00. I'm not sure about early check-in on Sundays.",
        "Hello! How can I help you today?",
    ],
)
def test_partial_answers_and_greetings_are_answers(reply: str) -> None:
    assert not admits_not_knowing(reply)


def test_grounding_picks_the_supporting_chunks_as_sources() -> None:
    def chunk(i: int, text: str) -> RetrievedChunk:
        return RetrievedChunk(f"c{i}", "kb", "d", "faq.csv", i, text, 0.5)

    chunks = [chunk(1, "Valet parking costs 35 EUR per night."), chunk(2, "The pool opens at 7:00.")]
    grounded = judge("Valet parking costs 35 EUR per night.", marked=False, chunks=chunks, has_knowledge=True)
    assert (grounded.outcome, grounded.grounded, [c.id for c in grounded.sources]) == ("answered", True, ["c1"])
    invented = judge("Our rooftop bar serves cocktails until 2am.", marked=False, chunks=chunks, has_knowledge=True)
    assert invented.grounded is False and invented.sources == []
    marked = judge("", marked=True, chunks=chunks, has_knowledge=True)
    assert marked.outcome == "unanswered" and marked.reply and marked.sources == []
