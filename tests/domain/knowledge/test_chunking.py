"""The chunker: sizes, seams (paragraphs, sections, pages), overlap, FAQ rows."""

from __future__ import annotations

import itertools

from va_app.domain.knowledge.chunking import chunk_blocks
from va_app.domain.knowledge.parsers import Block


def _sentences(prefix: str, n: int, words: int = 12) -> str:
    return " ".join(f"{prefix} sentence {i} " + " ".join(["word"] * words) + "." for i in range(n))


def test_short_paragraphs_share_a_chunk_and_keep_their_breaks() -> None:
    drafts = chunk_blocks([Block("First paragraph."), Block("Second paragraph.")])
    assert [d.content for d in drafts] == ["First paragraph.\n\nSecond paragraph."]


def test_every_chunk_fits_the_limit() -> None:
    blocks = [Block(_sentences(f"P{i}", n)) for i, n in enumerate((3, 20, 1, 40, 7))]
    drafts = chunk_blocks(blocks, max_chars=400, overlap_chars=80)
    assert len(drafts) > 5
    assert all(len(d.content) <= 400 for d in drafts)
    text = " ".join(d.content for d in drafts)
    for i in range(40):  # nothing lost
        assert f"P3 sentence {i} " in text


def test_a_cut_inside_a_paragraph_repeats_its_last_sentence() -> None:
    drafts = chunk_blocks([Block(_sentences("S", 12))], max_chars=300, overlap_chars=100)
    for before, after in itertools.pairwise(drafts):
        last_sentence = before.content.rsplit(". ", 1)[-1]
        assert after.content.startswith(last_sentence.rstrip(".")), (before.content, after.content)


def test_a_paragraph_that_would_not_fit_starts_a_new_chunk() -> None:
    first, second = _sentences("A", 4), _sentences("B", 4)  # each about 200 chars
    drafts = chunk_blocks([Block(first), Block(second)], max_chars=300, overlap_chars=60)
    assert [d.content for d in drafts] == [first, second]


def test_headings_split_chunks_and_prefix_them() -> None:
    blocks = [
        Block("Refunds take five days.", heading="Billing > Refunds"),
        Block("Cards are charged at shipping.", heading="Billing > Cards"),
    ]
    drafts = chunk_blocks(blocks)
    assert [d.content for d in drafts] == [
        "Billing > Refunds\nRefunds take five days.",
        "Billing > Cards\nCards are charged at shipping.",
    ]
    assert drafts[0].meta == {"heading": "Billing > Refunds"}


def test_pages_are_not_merged_and_are_recorded() -> None:
    drafts = chunk_blocks([Block("one", page=1), Block("two", page=2), Block("two more", page=2)])
    assert [(d.content, d.meta["page"]) for d in drafts] == [("one", 1), ("two\n\ntwo more", 2)]


def test_faq_rows_stay_whole_and_alone() -> None:
    rows = [Block(f"Q: q{i}?\nA: a{i}.", kind="faq", meta={"question": f"q{i}?"}) for i in range(3)]
    drafts = chunk_blocks(rows)
    assert [d.content for d in drafts] == [r.text for r in rows]
    assert drafts[1].meta == {"question": "q1?"}


def test_a_very_long_faq_answer_is_split_and_keeps_its_question() -> None:
    answer = " ".join(["step"] * 600)
    drafts = chunk_blocks([Block(f"Q: How?\nA: {answer}", kind="faq", meta={"question": "How?"})], max_chars=500)
    assert len(drafts) > 1 and all(d.content.startswith("Q: How?\nA: step") for d in drafts)


def test_a_word_run_without_punctuation_is_windowed() -> None:
    drafts = chunk_blocks([Block(" ".join(f"w{i}" for i in range(1000)))], max_chars=200, overlap_chars=40)
    assert all(len(d.content) <= 200 for d in drafts)
    assert "w999" in drafts[-1].content
