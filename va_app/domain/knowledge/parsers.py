"""Bytes of an uploaded file -> text blocks that remember their heading (and page).

Each parser keeps what retrieval needs and drops what it does not: headings become the
context of the paragraphs under them (a chunk "Refunds > Card payments: ..." is found by a
question about card refunds), scripts and styles vanish, a CSV FAQ row stays one
question/answer unit. Parsers are pure and raise :class:`UnreadableFile` with a message the
uploader can act on.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Literal

from va_app.domain.knowledge.formats import FileFormat, UnreadableFile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Block:
    """A paragraph (or one FAQ entry) and where it sits in the document."""

    text: str
    heading: str = ""  # heading path, e.g. "Billing > Refunds"
    kind: Literal["text", "faq"] = "text"
    page: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)


_SPACES = re.compile(r"[ \t\f\v\u00a0]+")


def _squash(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252; refuses binary data."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        raise UnreadableFile("the file looks binary, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


class _Headings:
    """The current heading path, by level."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    def push(self, level: int, title: str) -> None:
        self._stack = [(lv, t) for lv, t in self._stack if lv < level]
        if title:
            self._stack.append((level, title))

    @property
    def path(self) -> str:
        return " > ".join(t for _, t in self._stack)


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, lines joined (hyphenated line breaks mended)."""
    out = []
    for para in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        joined = re.sub(r"(\w)-\n(\w)", r"\1\2", para.strip())
        joined = _squash(joined.replace("\n", " "))
        if joined:
            out.append(joined)
    return out


def parse_txt(data: bytes) -> list[Block]:
    return [Block(p) for p in _paragraphs(decode_text(data))]


_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_MD_INLINE = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images -> alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links -> link text
    (re.compile(r"(\*\*|__|~~|`)"), ""),  # bold, strike, code marks
    (re.compile(r"(?<![\w*])\*(\S[^*\n]*?)\*(?![\w*])"), r"\1"),  # *emphasis*
)


def _md_inline(text: str) -> str:
    for pattern, repl in _MD_INLINE:
        text = pattern.sub(repl, text)
    return text


def parse_markdown(data: bytes) -> list[Block]:
    lines = decode_text(data).replace("\r\n", "\n").split("\n")
    headings = _Headings()
    blocks: list[Block] = []
    para: list[str] = []
    in_fence = False

    def flush() -> None:
        text = _squash(_md_inline(" ".join(s.strip() for s in para)))
        if text:
            blocks.append(Block(text, heading=headings.path))
        para.clear()

    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            para.append(line)
            continue
        atx = _ATX.match(line)
        if atx:
            flush()
            headings.push(len(atx.group(1)), _squash(_md_inline(atx.group(2))))
            continue
        setext = _SETEXT.match(line)
        if setext and len(para) == 1:
            title = _squash(_md_inline(para[0]))
            para.clear()
            headings.push(1 if setext.group(1).startswith("=") else 2, title)
            continue
        if not line.strip():
            flush()
            continue
        para.append(line)
    flush()
    return blocks


class _HtmlText(HTMLParser):
    SKIP = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe", "object", "canvas"})
    BLOCK = frozenset(
        {
            *("p", "div", "section", "article", "main", "header", "footer", "nav", "aside", "br", "hr"),
            *("li", "ul", "ol", "dl", "dt", "dd", "tr", "td", "th", "table", "thead", "tbody"),
            *("blockquote", "pre", "figure", "figcaption", "form", "fieldset", "address", "details", "summary"),
        }
    )
    HEADING = {f"h{i}": i for i in range(1, 7)}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._headings = _Headings()
        self._buf: list[str] = []
        self._skip = 0
        self._heading_level: int | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:  # noqa: ARG002 (HTMLParser's signature)
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.HEADING:
            self._flush()
            self._heading_level = self.HEADING[tag]
        elif tag in self.BLOCK:
            self._flush()

    def handle_startendtag(self, tag: str, attrs: Any) -> None:  # noqa: ARG002
        if tag in self.BLOCK:  # <br/>, <hr/>: a break; other void tags carry no text
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self.HEADING and self._heading_level is not None:
            self._headings.push(self._heading_level, _squash("".join(self._buf).replace("\n", " ")))
            self._buf.clear()
            self._heading_level = None
        elif tag in self.BLOCK:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._buf.append(data)

    def _flush(self) -> None:
        if self._heading_level is not None:
            return  # a block tag inside a heading: keep collecting the title
        text = _squash("".join(self._buf).replace("\n", " "))
        self._buf.clear()
        if text:
            self.blocks.append(Block(text, heading=self._headings.path))

    def close(self) -> None:
        super().close()
        self._heading_level = None
        self._flush()


def parse_html(data: bytes) -> list[Block]:
    parser = _HtmlText()
    parser.feed(decode_text(data))
    parser.close()
    return parser.blocks


def parse_pdf(data: bytes) -> list[Block]:
    """Text of every page (pypdf, pure Python). Scanned pages have no text: no OCR here."""
    if b"%PDF-" not in data[:1024]:
        raise UnreadableFile("not a PDF file (no %PDF header)")
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableFile("the PDF is password-protected")
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableFile:
        raise
    except Exception as exc:  # pypdf raises many types on malformed input; all mean "corrupt"
        log.info("unreadable PDF", extra={"error": repr(exc)[:200]})
        raise UnreadableFile("the PDF is corrupt or cannot be read") from exc
    return [Block(p, page=number) for number, text in enumerate(pages, 1) for p in _paragraphs(text)]


QUESTION_COLUMNS = ("question", "questions", "q", "query", "prompt", "title")
ANSWER_COLUMNS = ("answer", "answers", "a", "response", "reply", "content")


def _column(header: list[str], names: Iterable[str]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def parse_csv_faq(data: bytes) -> list[Block]:
    """One block per row: ``Q: ...`` / ``A: ...``; other columns (category, ...) go to meta."""
    text = decode_text(data)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [r for r in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise UnreadableFile(f"the CSV cannot be read: {exc}") from exc
    if not rows:
        raise UnreadableFile("the CSV has no rows")
    header = [h.strip().lower() for h in rows[0]]
    q_col, a_col = _column(header, QUESTION_COLUMNS), _column(header, ANSWER_COLUMNS)
    if q_col is None or a_col is None:
        raise UnreadableFile(
            "a CSV FAQ needs a header row with a question column "
            f"({', '.join(QUESTION_COLUMNS)}) and an answer column ({', '.join(ANSWER_COLUMNS)}); "
            f"found: {', '.join(h for h in header if h) or 'none'}"
        )
    blocks = []
    for number, row in enumerate(rows[1:], 2):
        cells = [c.strip() for c in row] + [""] * (len(header) - len(row))
        question, answer = _squash(cells[q_col]), _squash(cells[a_col])
        if not question or not answer:
            continue
        extra = {h: cells[i][:200] for i, h in enumerate(header) if h and i not in (q_col, a_col) and cells[i]}
        meta = {"question": question, "row": number, **extra}
        blocks.append(Block(f"Q: {question}\nA: {answer}", kind="faq", meta=meta))
    if not blocks:
        raise UnreadableFile("the CSV has no rows with both a question and an answer")
    return blocks


PARSERS: dict[FileFormat, Callable[[bytes], list[Block]]] = {
    FileFormat.TXT: parse_txt,
    FileFormat.MD: parse_markdown,
    FileFormat.HTML: parse_html,
    FileFormat.PDF: parse_pdf,
    FileFormat.CSV: parse_csv_faq,
}


def parse(fmt: FileFormat, data: bytes) -> list[Block]:
    blocks = PARSERS[fmt](data)
    if not blocks:
        raise UnreadableFile("no text found in the file" + (" (a scanned PDF needs OCR first)" if fmt == "pdf" else ""))
    return blocks
