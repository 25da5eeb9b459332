"""When two questions may share a cached answer: the *meaning key* a semantic hit must match.

Embeddings place "where is order 7781?" next to "where is order 7782?" (cosine ~0.98), and
"can I pay online?" next to "can I not pay online?". The words that carry such differences are
few and recognisable, so the key is built from them; two questions share a semantic hit only
when their keys are equal (on top of the similarity threshold and, with knowledge, the top
chunk):

* **numbers**: digits (``7781``, ``20.50``, ``12:00``, ``S23``), number words (``three``, ``tenth``);
* **dates and times**: weekdays, months, holidays, relative days (``tomorrow``, ``last week``),
  parts of the day (``am``, ``evening``);
* **negation**: whether the question is negated (``not``, ``n't``, ``never``, ``without``, ...);
* **names**: product, brand, person and place names, recognised by their capitals inside a
  sentence (``Galaxy``, ``PayPal``, ``DHL``; only when the question mixes cases, so an all-caps
  or all-lower question gives none);
* **polar words**: direction pairs a paraphrase keeps but a different question flips
  (``check-in``/``check-out``, ``before``/``after``, ``open``/``close``, ``upgrade``/``downgrade``).

Limits: a name typed in lower case ("reset my pixel") is not seen as a name; synonyms of these
words ("not allowed" vs "prohibited") give different keys (a miss, never a wrong hit).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
} | {
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "hundred": "100",
    "thousand": "1000",
    "million": "1000000",
    "dozen": "12",
    "half": "0.5",
    "first": "1st",
    "second": "2nd",
    "third": "3rd",
    "fourth": "4th",
    "fifth": "5th",
    "sixth": "6th",
    "seventh": "7th",
    "eighth": "8th",
    "ninth": "9th",
    "tenth": "10th",
    "once": "1x",
    "twice": "2x",
}
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH_ABBR = {m[:3]: m for m in _MONTHS} | {"sept": "september"}
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_DATE_WORDS = frozenset(
    [
        *_MONTHS,
        *_WEEKDAYS,
        "today",
        "tonight",
        "tomorrow",
        "yesterday",
        "weekend",
        "weekday",
        "weekdays",
        "weekends",
        "morning",
        "afternoon",
        "evening",
        "night",
        "noon",
        "midnight",
        "am",
        "pm",
        "daily",
        "weekly",
        "monthly",
        "yearly",
        "annual",
        "annually",
        "christmas",
        "easter",
        "thanksgiving",
        "hanukkah",
        "diwali",
        "ramadan",
        "eid",
        "halloween",
        "newyear",
        "holiday",
        "holidays",
        "spring",
        "summer",
        "autumn",
        "fall",
        "winter",
    ]
)
_RELATIVE = re.compile(r"\b(next|last|this|previous|coming|past)\s+(week|month|year|weekend|time)\b")
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nothing|nobody|nowhere|neither|nor|without|cannot|except|unless)\b|n't\b",
    re.IGNORECASE,
)
_PHRASAL = re.compile(r"\b(check|log|sign|opt|plug|clock|pick|drop|turn|switch)[\s-]?(in|out|on|off|up)\b")
_POLAR = frozenset(
    [
        "before",
        "after",
        "early",
        "late",
        "earlier",
        "later",
        "open",
        "opening",
        "close",
        "closing",
        "closed",
        "start",
        "end",
        "begin",
        "finish",
        "arrive",
        "arrival",
        "depart",
        "departure",
        "upgrade",
        "downgrade",
        "increase",
        "decrease",
        "raise",
        "lower",
        "add",
        "remove",
        "enable",
        "disable",
        "activate",
        "deactivate",
        "upload",
        "download",
        "import",
        "export",
        "buy",
        "sell",
        "send",
        "receive",
        "lend",
        "borrow",
        "deposit",
        "withdraw",
        "minimum",
        "maximum",
        "min",
        "max",
        "more",
        "less",
        "cheapest",
        "cheaper",
        "expensive",
        "lowest",
        "highest",
        "first",
        "last",
        "inbound",
        "outbound",
        "domestic",
        "international",
    ]
)
_NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")
_WORD = re.compile(r"[^\W\d_][\w'\u2019+-]*")


def _fold(word: str) -> str:
    return re.sub(r"[-'\u2019]", "", word.casefold())


def _numbers(text: str) -> list[str]:
    found = []
    for match in _NUMBER.findall(text):
        # 1,000 and 1000 are one number; 20.50 and 20.05 are not
        found.append(re.sub(r"(?<=\d),(?=\d{3}\b)", "", match).replace(",", "."))
    return found


def _names(text: str) -> list[str]:
    """Capitalised words inside a sentence (and CamelCase/ALLCAPS tokens), when the text mixes cases."""
    letters = [c for c in text if c.isalpha()]
    if not letters or all(c.isupper() for c in letters) or all(c.islower() for c in letters):
        return []
    names = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        words = _WORD.findall(sentence)
        for i, word in enumerate(words):
            folded = _fold(word)
            if folded in ("i", "im", "ive", "ill", "id") or folded in _DATE_WORDS:
                continue
            inner_capital = any(c.isupper() for c in word[1:])
            if (i > 0 and word[0].isupper()) or inner_capital:
                names.append(folded)
    return names


def meaning_parts(question: str) -> dict[str, tuple[str, ...]]:
    """The parts of the key, readable (for the README's examples and for debugging)."""
    text = unicodedata.normalize("NFKC", question).replace("\u2019", "'")
    lower = text.casefold()
    words = [_fold(w) for w in _WORD.findall(lower)]
    numbers = _numbers(text) + [_NUMBER_WORDS[w] for w in words if w in _NUMBER_WORDS]
    dates = [_MONTH_ABBR.get(w, w) for w in words if w in _DATE_WORDS or w in _MONTH_ABBR]
    dates += [" ".join(m) for m in _RELATIVE.findall(lower)]
    if "new year" in lower:
        dates.append("newyear")
    phrasal = [f"{verb}-{part}" for verb, part in _PHRASAL.findall(lower)]
    polar = [w for w in words if w in _POLAR]
    return {
        "numbers": tuple(sorted(set(numbers))),
        "dates": tuple(sorted(set(dates))),
        "negated": ("yes",) if _NEGATION.search(text) else (),
        "names": tuple(sorted(set(_names(text)))),
        "polar": tuple(sorted(set(phrasal + polar))),
    }


def meaning_key(question: str) -> str:
    """A short hash of :func:`meaning_parts`: equal keys = the same entities, negation and direction."""
    parts = meaning_parts(question)
    material = "\x1e".join(k + "=" + "\x1f".join(v) for k, v in parts.items())
    return hashlib.blake2b(material.encode(), digest_size=8).hexdigest()
