"""File formats and parsers: what is accepted, what text comes out, what is refused."""

from __future__ import annotations

import pytest

from tests.knowledge_files import FAQ_CSV, PDF_PAGES, make_pdf
from va_app.domain.knowledge.formats import (
    MAX_UPLOAD_BYTES,
    FileFormat,
    FileTooLarge,
    UnreadableFile,
    UnsupportedFileType,
    check_size,
    clean_filename,
    detect_format,
)
from va_app.domain.knowledge.parsers import parse, parse_csv_faq, parse_html, parse_markdown, parse_pdf, parse_txt


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("a.txt", "text/plain", FileFormat.TXT),
        ("README.MD", "application/octet-stream", FileFormat.MD),
        ("page.htm", "text/html; charset=utf-8", FileFormat.HTML),
        ("doc.pdf", None, FileFormat.PDF),
        ("faq.csv", "application/vnd.ms-excel", FileFormat.CSV),
        ("noext", "application/pdf", FileFormat.PDF),
    ],
)
def test_detect_format(name: str, content_type: str | None, expected: FileFormat) -> None:
    assert detect_format(name, content_type) == expected


@pytest.mark.parametrize(("name", "content_type"), [("a.docx", None), ("a.txt", "image/png"), ("noext", "")])
def test_unsupported_types(name: str, content_type: str | None) -> None:
    with pytest.raises(UnsupportedFileType):
        detect_format(name, content_type)


def test_size_limits_and_names() -> None:
    with pytest.raises(UnreadableFile) as empty:
        check_size(0)
    assert empty.value.code == "empty_file"
    with pytest.raises(FileTooLarge):
        check_size(MAX_UPLOAD_BYTES + 1)
    check_size(MAX_UPLOAD_BYTES)
    assert clean_filename("C:\\Users\\me\\faq.csv") == "faq.csv"
    assert clean_filename("../../etc/passwd.txt") == "passwd.txt"


def test_txt_paragraphs_and_encodings() -> None:
    blocks = parse_txt(b"Line one\nline two.\n\n\nNext para-\ngraph.")
    assert [b.text for b in blocks] == ["Line one line two.", "Next paragraph."]
    assert parse_txt("café".encode("cp1252"))[0].text == "café"
    assert parse_txt("\ufeffbom".encode())[0].text == "bom"
    assert parse_txt("wide".encode("utf-16"))[0].text == "wide"
    with pytest.raises(UnreadableFile):
        parse_txt(b"\x00\x01binary")


def test_markdown_headings_become_context() -> None:
    md = b"# Shipping\nWe ship **worldwide**.\n\n## Rates\nSee [the table](http://x) `now`.\n\nTitle\n=====\ntext\n"
    blocks = parse_markdown(md)
    assert [(b.heading, b.text) for b in blocks] == [
        ("Shipping", "We ship worldwide."),
        ("Shipping > Rates", "See the table now."),
        ("Title", "text"),
    ]


def test_html_drops_scripts_and_keeps_headings() -> None:
    html = (
        b"<html><head><title>t</title><style>p{}</style></head><body>"
        b"<h1>Refunds</h1><p>Refunds take <b>5</b>&nbsp;days.</p><script>alert(1)</script>"
        b"<h2>Cards</h2><ul><li>Visa</li><li>Mastercard</li></ul><h1>Other</h1><p>x<br/>y</p></body></html>"
    )
    blocks = parse_html(html)
    assert [(b.heading, b.text) for b in blocks] == [
        ("Refunds", "Refunds take 5 days."),
        ("Refunds > Cards", "Visa"),
        ("Refunds > Cards", "Mastercard"),
        ("Other", "x"),
        ("Other", "y"),
    ]


def test_pdf_text_by_page() -> None:
    blocks = parse_pdf(make_pdf(PDF_PAGES))
    assert [b.page for b in blocks] == [1, 2, 3]
    assert "two-year warranty" in blocks[1].text


@pytest.mark.parametrize(
    "data",
    [b"not a pdf at all", b"%PDF-1.7\n" + b"\x00garbage" * 50, make_pdf(PDF_PAGES)[:200]],
)
def test_corrupt_pdfs_are_refused(data: bytes) -> None:
    with pytest.raises(UnreadableFile):
        parse(FileFormat.PDF, data)


def test_a_pdf_without_text_is_refused() -> None:
    with pytest.raises(UnreadableFile, match="no text"):
        parse(FileFormat.PDF, make_pdf([[]]))


def test_csv_faq_rows() -> None:
    blocks = parse_csv_faq(FAQ_CSV.encode())
    assert len(blocks) == 4 and all(b.kind == "faq" for b in blocks)
    assert blocks[0].text.startswith("Q: How do I reset my password?\nA: Open the login page")
    assert blocks[0].meta == {"question": "How do I reset my password?", "row": 2, "category": "account"}


def test_csv_faq_dialects_and_missing_columns() -> None:
    semicolons = parse_csv_faq(b"Q;A\nWhy?;Because.\nEmpty;\n")
    assert [b.text for b in semicolons] == ["Q: Why?\nA: Because."]
    with pytest.raises(UnreadableFile, match="question column"):
        parse_csv_faq(b"name,email\nann,a@example.com\n")
    with pytest.raises(UnreadableFile, match="no rows with both"):
        parse_csv_faq(b"question,answer\n,\n")
