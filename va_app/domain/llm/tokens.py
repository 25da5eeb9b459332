"""A cheap token estimate: no tokenizer on the hot path.

Real tokenizers cost tens of microseconds per message and differ per provider; budgets and
context checks only need an upper-leaning estimate, and the provider's reported usage is what
gets billed. English averages about four characters per token; three keeps the estimate on
the safe side for code, numbers and non-Latin scripts.
"""

from __future__ import annotations

from collections.abc import Iterable

from va_app.domain.llm.contracts import ChatMessage

CHARS_PER_TOKEN = 3
MESSAGE_OVERHEAD = 4  # role markers and separators per message
REPLY_PRIMING = 3


def estimate_text(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN + 1


def estimate_messages(messages: Iterable[ChatMessage]) -> int:
    return REPLY_PRIMING + sum(len(m.content) // CHARS_PER_TOKEN + 1 + MESSAGE_OVERHEAD for m in messages)
