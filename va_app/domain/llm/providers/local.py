"""The built-in offline model: answers from the knowledge chunks it is handed.

No network, no weights: it picks the sentences (or FAQ answers) of the retrieved chunks that
share the most informative words with the last user message and returns them in a short
template. When nothing relevant is known it says so and offers a human, which is the honest
answer a small offline model can give. It keeps the demo and the tests working with no keys.
"""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from va_app.domain.llm.contracts import ChatMessage
from va_app.domain.llm.providers.base import ProviderCall, ProviderResponse, StreamEvent
from va_app.domain.llm.relevance import WORD as _WORD
from va_app.domain.llm.relevance import terms as _terms
from va_app.domain.llm.tokens import CHARS_PER_TOKEN, estimate_messages, estimate_text

NOTHING_KNOWN = (
    "I'm sorry, I don't have information about that. "
    "I can connect you with a colleague who can help; would you like that?"
)
GREETING_REPLY = "Hello! How can I help you today?"
MIN_COVERAGE = 0.3  # share of the question's informative weight a passage must cover
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_FAQ = re.compile(r"^\s*Q:\s*(?P<q>.*?)\s*\n\s*A:\s*(?P<a>.*)$", re.DOTALL)
_GREETINGS = {"hi", "hello", "hey", "hiya", "morning", "evening", "afternoon", "good", "there", "bonjour", "hallo"}


@dataclass(frozen=True, slots=True)
class _Passage:
    text: str  # what the answer quotes
    words: frozenset[str]  # what relevance is scored on
    order: int


def _passages(chunks: tuple[str, ...]) -> list[_Passage]:
    """FAQ chunks (``Q: … A: …``) are one passage quoting the answer; prose splits into sentences."""
    out: list[_Passage] = []
    for chunk in chunks:
        faq = _FAQ.match(chunk)
        if faq:
            answer = " ".join(faq.group("a").split())
            out.append(_Passage(answer, frozenset(_terms(faq.group("q") + " " + answer)), len(out)))
            continue
        for sentence in _SENTENCE.split(chunk):
            sentence = " ".join(sentence.split())
            if len(sentence) >= 3:
                out.append(_Passage(sentence, frozenset(_terms(sentence)), len(out)))
    return out


def last_user_message(messages: tuple[ChatMessage, ...]) -> str:
    return next((m.content for m in reversed(messages) if m.role == "user"), "")


def compose_answer(question: str, chunks: tuple[str, ...], max_chars: int = 1500) -> str:
    """The most relevant passages for ``question``, or the honest 'I don't know'."""
    words = _WORD.findall(question.lower())
    if words and len(words) <= 4 and set(words) <= _GREETINGS:
        return GREETING_REPLY
    query = set(_terms(question))
    passages = _passages(chunks)
    if not query or not passages:
        return NOTHING_KNOWN
    df = {t: sum(1 for p in passages if t in p.words) for t in query}
    weight = {t: math.log(1 + (len(passages) + 1) / (df[t] + 0.5)) for t in query}
    total = sum(weight.values())
    scored = sorted(
        ((sum(weight[t] for t in query if t in p.words) / total, p) for p in passages),
        key=lambda sp: (-sp[0], sp[1].order),
    )
    best = scored[0][0]
    if best < MIN_COVERAGE:
        return NOTHING_KNOWN
    picked: list[_Passage] = []
    length = 0
    for score, passage in scored[:3]:
        if score < 0.6 * best or length + len(passage.text) > max_chars:
            break
        picked.append(passage)
        length += len(passage.text) + 1
    body = " ".join(p.text for p in sorted(picked, key=lambda p: p.order)) or scored[0][1].text[:max_chars]
    return f"Here is what I found: {body}"


class LocalProvider:
    """Deterministic and free; latency is microseconds, so it never opens a breaker."""

    def _answer(self, call: ProviderCall) -> ProviderResponse:
        question = last_user_message(call.messages)
        text = compose_answer(question, call.knowledge, max_chars=call.max_tokens * CHARS_PER_TOKEN)
        prompt = estimate_messages(call.messages) + sum(estimate_text(k) for k in call.knowledge)
        return ProviderResponse(text=text, prompt_tokens=prompt, completion_tokens=estimate_text(text))

    async def complete(self, call: ProviderCall) -> ProviderResponse:
        return self._answer(call)

    async def stream(self, call: ProviderCall) -> AsyncIterator[StreamEvent]:
        response = self._answer(call)
        words = response.text.split(" ")
        for i in range(0, len(words), 4):
            yield StreamEvent(delta=(" " if i else "") + " ".join(words[i : i + 4]))
        yield StreamEvent(final=response)
