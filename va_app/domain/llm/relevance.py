"""The informative words of a text: what relevance and grounding are measured on.

One definition for the offline ``local`` model (which passages answer a question) and the
conversation runtime (which retrieved chunks a reply is grounded in): lower-cased words
without stop words, crudely stemmed so "diving" meets "dive", numbers kept whole.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOP_WORDS = (
    "a an the and or but if then else of to in on at by for with from about as is are was were be been being "
    "do does did have has had i you he she it we they me my your our their this that these those what which who "
    "whom how when where why can could would should will shall may might must not no yes please thanks thank "
    "there here so than too very just also any some all each more most much many get got want need like know "
    "tell let us am its it's i'm"
)
STOP = frozenset(_STOP_WORDS.split())


def stem(word: str) -> str:
    """A crude suffix stripper, so "diving" meets "dive" and "bookings" meets "booked"."""
    for suffix in ("ing", "ed", "es", "e", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def terms(text: str) -> list[str]:
    """The informative words of ``text`` in order (stop words and 1-2 letter words dropped)."""
    out = []
    for word in WORD.findall(text.lower()):
        if word in STOP or (len(word) < 3 and not word.isdigit()):
            continue
        out.append(word if word.isdigit() else stem(word))
    return out
