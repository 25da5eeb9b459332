"""PII masking: what a provider, a log line, an event or a cache entry must never hold.

Each detector is a regular expression followed by a validity check where one exists (Luhn
for payment cards, Verhoeff for Aadhaar, the SSA's reserved ranges for US SSNs), so long
order numbers and dates are not masked by accident while real identifiers are. Detectors run
from the most specific to the most generic (a card number is also a run of digits a phone
pattern would take), and each replaces its findings with a ``[KIND]`` token that contains no
digits, so a later detector cannot match inside an earlier one's token.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Masked:
    text: str
    found: Counter[str] = field(default_factory=Counter)

    @property
    def any(self) -> bool:
        return bool(self.found)


def luhn_valid(digits: str) -> bool:
    """The payment-card check digit (ISO/IEC 7812): doubles every second digit from the right."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def verhoeff_valid(digits: str) -> bool:
    """Aadhaar's check digit (Verhoeff's dihedral-group scheme catches all transpositions)."""
    if not digits.isdigit():
        return False
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _VERHOEFF_D[c][_VERHOEFF_P[i % 8][int(ch)]]
    return c == 0


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _card(match: str) -> bool:
    digits = _digits(match)
    return 13 <= len(digits) <= 19 and luhn_valid(digits)


def _aadhaar(match: str) -> bool:
    digits = _digits(match)
    return len(digits) == 12 and digits[0] not in "01" and verhoeff_valid(digits)


def _ssn(match: str) -> bool:
    digits = _digits(match)
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and not area.startswith("9") and group != "00" and serial != "0000"


def _phone(match: str) -> bool:
    digits = _digits(match)
    formatted = match.lstrip().startswith(("+", "(")) or bool(re.search(r"[ .\-()]", match.strip()))
    return 7 <= len(digits) <= 15 and (len(digits) >= 10 or (formatted and len(digits) >= 9) or match.startswith("+"))


def _always(_match: str) -> bool:
    return True


_NO_DIGIT_BEFORE = r"(?<![\w+])"
_NO_DIGIT_AFTER = r"(?![\w])"

DETECTORS: tuple[tuple[str, re.Pattern[str], Callable[[str], bool]], ...] = (
    ("EMAIL", re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"), _always),
    ("CARD", re.compile(_NO_DIGIT_BEFORE + r"\d(?:[ \-]?\d){12,18}" + _NO_DIGIT_AFTER), _card),
    ("AADHAAR", re.compile(_NO_DIGIT_BEFORE + r"[2-9]\d{3}[ \-]?\d{4}[ \-]?\d{4}" + _NO_DIGIT_AFTER), _aadhaar),
    ("SSN", re.compile(_NO_DIGIT_BEFORE + r"\d{3}[ \-]\d{2}[ \-]\d{4}" + _NO_DIGIT_AFTER), _ssn),
    (
        "NI_NUMBER",
        re.compile(
            r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",
            re.IGNORECASE,
        ),
        _always,
    ),
    ("PAN", re.compile(r"\b[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z]\b"), _always),
    (
        "PHONE",
        re.compile(
            r"(?<![\w+])(?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,4}\)[ .\-]?)?\d{2,5}(?:[ .\-]?\d{2,5}){1,4}" + _NO_DIGIT_AFTER
        ),
        _phone,
    ),
)
KINDS = tuple(kind for kind, _, _ in DETECTORS)


def mask(text: str) -> Masked:
    """``text`` with every detected identifier replaced by ``[KIND]``, and what was found."""
    found: Counter[str] = Counter()
    if not text:
        return Masked(text, found)
    for kind, pattern, valid in DETECTORS:

        def _sub(match: re.Match[str], kind: str = kind, valid: Callable[[str], bool] = valid) -> str:
            if not valid(match.group(0)):
                return match.group(0)
            found[kind] += 1
            return f"[{kind}]"

        text = pattern.sub(_sub, text)
    return Masked(text, found)


def mask_text(text: str) -> str:
    return mask(text).text


class StreamMasker:
    """Mask a reply that arrives in pieces without ever emitting half an identifier.

    Identifiers are at most ~25 characters and contain no line breaks, so the tail after the
    last safe cut (whitespace between two non-digit characters, at least ``holdback``
    characters from the end) is held back until more text arrives or the stream ends. Each
    emitted segment is masked on its own: a cut never falls inside a number or an address.
    """

    def __init__(self, holdback: int = 48) -> None:
        self.holdback = holdback
        self._pending = ""

    def feed(self, delta: str) -> str:
        self._pending += delta
        cut = self._safe_cut()
        if cut <= 0:
            return ""
        out, self._pending = self._pending[:cut], self._pending[cut:]
        return mask_text(out)

    def flush(self) -> str:
        out, self._pending = self._pending, ""
        return mask_text(out)

    def _safe_cut(self) -> int:
        text = self._pending
        limit = len(text) - self.holdback
        for i in range(limit, 0, -1):
            if text[i].isspace() and not _digitish(text[i - 1]) and (i + 1 >= len(text) or not _digitish(text[i + 1])):
                return i + 1
        return 0


def _digitish(ch: str) -> bool:
    return ch.isdigit() or ch in "+-().@"
