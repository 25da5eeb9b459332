"""What every provider adapter takes and returns; the router sees nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from va_app.domain.llm.catalog import ModelDeployment
from va_app.domain.llm.contracts import ChatMessage


@dataclass(frozen=True, slots=True)
class ProviderCall:
    deployment: ModelDeployment
    messages: tuple[ChatMessage, ...]
    max_tokens: int
    temperature: float
    timeout_s: float
    knowledge: tuple[str, ...] = ()
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderResponse:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str = "stop"


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """A text delta, or (``final`` set) the usage reported at the end of the stream."""

    delta: str = ""
    final: ProviderResponse | None = None


class Provider(Protocol):
    async def complete(self, call: ProviderCall) -> ProviderResponse: ...

    def stream(self, call: ProviderCall) -> AsyncIterator[StreamEvent]: ...
