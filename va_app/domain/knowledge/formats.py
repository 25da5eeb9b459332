"""Which files a knowledge base accepts, decided from the name and the declared type.

The extension picks the parser; a declared content type must agree with it (or be a generic
one such as ``application/octet-stream``), so a PNG renamed to ``.txt`` by a browser that
still says ``image/png`` is refused rather than indexed as noise.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import PurePosixPath

from va_app.domain.errors import InvalidInput

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_CHUNKS_PER_DOCUMENT = 30_000


class UnsupportedFileType(InvalidInput):
    """The API answers 415."""

    code = "unsupported_file_type"


class FileTooLarge(InvalidInput):
    """The API answers 413."""

    code = "file_too_large"


class UnreadableFile(InvalidInput):
    """Empty, corrupt, encrypted or text-less files (400)."""

    code = "unreadable_file"


class FileFormat(StrEnum):
    TXT = "txt"
    MD = "md"
    HTML = "html"
    PDF = "pdf"
    CSV = "csv"


EXTENSIONS: dict[str, FileFormat] = {
    ".txt": FileFormat.TXT,
    ".text": FileFormat.TXT,
    ".md": FileFormat.MD,
    ".markdown": FileFormat.MD,
    ".html": FileFormat.HTML,
    ".htm": FileFormat.HTML,
    ".pdf": FileFormat.PDF,
    ".csv": FileFormat.CSV,
}

CANONICAL_TYPE: dict[FileFormat, str] = {
    FileFormat.TXT: "text/plain",
    FileFormat.MD: "text/markdown",
    FileFormat.HTML: "text/html",
    FileFormat.PDF: "application/pdf",
    FileFormat.CSV: "text/csv",
}

_ACCEPTED_TYPES: dict[FileFormat, frozenset[str]] = {
    FileFormat.TXT: frozenset({"text/plain"}),
    FileFormat.MD: frozenset({"text/markdown", "text/x-markdown", "text/plain"}),
    FileFormat.HTML: frozenset({"text/html", "application/xhtml+xml"}),
    FileFormat.PDF: frozenset({"application/pdf", "application/x-pdf"}),
    # Browsers on Windows send CSV as application/vnd.ms-excel.
    FileFormat.CSV: frozenset(
        {"text/csv", "application/csv", "text/comma-separated-values", "text/plain", "application/vnd.ms-excel"}
    ),
}
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/unknown"})
_BY_TYPE: dict[str, FileFormat] = {t: f for f, t in CANONICAL_TYPE.items()}

SUPPORTED = ", ".join(sorted(EXTENSIONS))


def detect_format(filename: str, content_type: str | None) -> FileFormat:
    """The format to parse ``filename`` as, or :class:`UnsupportedFileType`."""
    declared = (content_type or "").split(";")[0].strip().lower()
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    fmt = EXTENSIONS.get(suffix)
    if fmt is None and not suffix:
        fmt = _BY_TYPE.get(declared)
    if fmt is None:
        raise UnsupportedFileType(f"unsupported file type '{suffix or declared or 'unknown'}'; supported: {SUPPORTED}")
    if declared not in _GENERIC_TYPES and declared not in _ACCEPTED_TYPES[fmt]:
        raise UnsupportedFileType(f"content type '{declared}' does not match a {suffix or fmt.value} file")
    return fmt


def check_size(size: int) -> None:
    if size == 0:
        raise UnreadableFile("the file is empty", code="empty_file")
    if size > MAX_UPLOAD_BYTES:
        raise FileTooLarge(f"the file is {size} bytes; the limit is {MAX_UPLOAD_BYTES} bytes")


def clean_filename(filename: str) -> str:
    """The base name only (no client paths), trimmed to the column's length."""
    name = PurePosixPath(filename.replace("\\", "/")).name.strip()
    return name[-300:] if name else "upload"
