"""Blocks -> chunks sized for the embedding model, cut where the text has seams.

all-MiniLM-L6-v2 reads at most 256 WordPiece tokens (it was trained on 128), about 4-5
characters each in English prose, so a chunk holds at most ``max_chars`` (900) characters of
body: whole paragraphs when they fit, else whole sentences, else word windows. A chunk never
spans two sections: the heading path changes meaning, and it is repeated at the top of each
chunk so a chunk cut from the middle of a section still says what it is about. When a cut
falls inside a paragraph the next chunk repeats the last sentences (about ``overlap_chars``)
so an answer that straddles the cut is still found whole in one of them. FAQ entries are
never merged with their neighbours, nor are two PDF pages (so a chunk's ``page`` is exact).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from va_app.domain.knowledge.parsers import Block

MAX_CHARS = 900
OVERLAP_CHARS = 150

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[\"'(\[]?[A-Z0-9À-Ý])")


@dataclass(frozen=True)
class ChunkDraft:
    """A chunk before it is embedded: what gets stored and searched."""

    content: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Unit:
    text: str
    starts_paragraph: bool
    paragraph_chars: int = 0  # on a paragraph's first unit: the whole paragraph's length


def _word_windows(text: str, max_chars: int, overlap_chars: int) -> list[str]:
    """Hard cut for a "sentence" longer than a chunk (tables, lists without punctuation)."""
    words = text.split()
    windows: list[str] = []
    start = 0
    while start < len(words):
        end, size = start, 0
        while end < len(words) and (size + len(words[end]) + 1 <= max_chars or end == start):
            size += len(words[end]) + 1
            end += 1
        windows.append(" ".join(words[start:end]))
        if end >= len(words):
            break
        back, kept = end, 0
        while back > start + 1 and kept + len(words[back - 1]) + 1 <= overlap_chars:
            back -= 1
            kept += len(words[back]) + 1
        start = back
    return windows


def _units(paragraphs: list[str], max_chars: int, overlap_chars: int) -> list[_Unit]:
    units: list[_Unit] = []
    for para in paragraphs:
        pieces = [para] if len(para) <= max_chars else _SENTENCE_END.split(para)
        parts = [
            p
            for piece in pieces
            for p in ([piece] if len(piece) <= max_chars else _word_windows(piece, max_chars, overlap_chars))
        ]
        for i, part in enumerate(parts):
            units.append(_Unit(part, i == 0, len(para) if i == 0 else 0))
    return units


def _join(units: list[_Unit]) -> str:
    out = ""
    for unit in units:
        out += ("\n\n" if unit.starts_paragraph else " ") + unit.text if out else unit.text
    return out


def _cost(unit: _Unit) -> int:
    return len(unit.text) + 2


def _window(units: list[_Unit], max_chars: int, overlap_chars: int) -> list[str]:
    chunks: list[str] = []
    current: list[_Unit] = []
    size = 0
    for unit in units:
        full = size + _cost(unit) > max_chars
        # Rather than split a paragraph that would not fit whole, start it in a new chunk
        # (when this one is already half full, so chunks do not come out tiny).
        keep_paragraph = unit.starts_paragraph and size >= max_chars // 2 and size + unit.paragraph_chars > max_chars
        if current and (full or keep_paragraph):
            chunks.append(_join(current))
            carry: list[_Unit] = []
            if not unit.starts_paragraph:  # cut inside a paragraph: repeat its last sentences
                kept = 0
                for prev in reversed(current):
                    if kept + len(prev.text) > overlap_chars:
                        break
                    carry.insert(0, prev)
                    kept += len(prev.text) + 1
                    if prev.starts_paragraph:
                        break
                if kept + _cost(unit) > max_chars:
                    carry = []
            current = carry
            size = sum(_cost(u) for u in current)
        current.append(unit)
        size += _cost(unit)
    if current:
        chunks.append(_join(current))
    return chunks


def _with_heading(heading: str, body: str) -> str:
    return f"{heading}\n{body}" if heading else body


def chunk_blocks(
    blocks: list[Block], *, max_chars: int = MAX_CHARS, overlap_chars: int = OVERLAP_CHARS
) -> list[ChunkDraft]:
    """Chunks in document order; ``meta`` carries the heading, first page or FAQ fields."""
    drafts: list[ChunkDraft] = []
    for (kind, heading, page), group_iter in groupby(blocks, key=lambda b: (b.kind, b.heading, b.page)):
        group = list(group_iter)
        if kind == "faq":
            for block in group:
                question = str(block.meta.get("question", ""))
                if len(block.text) <= max_chars * 2:  # an FAQ entry is one unit of meaning
                    drafts.append(ChunkDraft(block.text, dict(block.meta)))
                    continue
                answer = block.text.split("\nA: ", 1)[-1]
                for part in _word_windows(answer, max_chars, overlap_chars):
                    drafts.append(ChunkDraft(f"Q: {question}\nA: {part}", dict(block.meta)))
            continue
        meta: dict[str, Any] = {"heading": heading} if heading else {}
        if page is not None:
            meta["page"] = page
        units = _units([b.text for b in group], max_chars, overlap_chars)
        drafts.extend(
            ChunkDraft(_with_heading(heading, body), dict(meta)) for body in _window(units, max_chars, overlap_chars)
        )
    return drafts
