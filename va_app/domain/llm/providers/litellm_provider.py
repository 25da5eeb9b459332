"""The long tail (Gemini, Bedrock, Azure, Mistral, ...) through litellm.

litellm is imported on first use only: its import takes seconds and its per-call overhead is
~2.6 ms of CPU, acceptable for providers we do not speak natively, not for the hot two.
``LITELLM_OFFLINE_MODE`` is set before the import so it never fetches its price map.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Any

from va_app.domain.llm.errors import (
    BadRequestError,
    ContentPolicyError,
    ContextWindowError,
    ProviderAuthError,
    ProviderError,
    RateLimitError,
    TransientError,
)
from va_app.domain.llm.providers.base import ProviderCall, ProviderResponse, StreamEvent
from va_app.domain.llm.tokens import estimate_messages, estimate_text


@lru_cache(maxsize=1)
def _litellm() -> Any:
    os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    return litellm


def _translate(exc: Exception) -> ProviderError:
    """Map litellm's exception classes onto ours (order matters: subclasses first)."""
    ex = _litellm().exceptions
    message = f"{type(exc).__name__}: {exc}"[:500]
    table: tuple[tuple[str, type[ProviderError]], ...] = (
        ("ContextWindowExceededError", ContextWindowError),
        ("ContentPolicyViolationError", ContentPolicyError),
        ("RateLimitError", RateLimitError),
        ("AuthenticationError", ProviderAuthError),
        ("PermissionDeniedError", ProviderAuthError),
        ("Timeout", TransientError),
        ("APIConnectionError", TransientError),
        ("ServiceUnavailableError", TransientError),
        ("InternalServerError", TransientError),
        ("BadRequestError", BadRequestError),
        ("NotFoundError", BadRequestError),
    )
    for name, ours in table:
        cls = getattr(ex, name, None)
        if cls is not None and isinstance(exc, cls):
            return ours(message, status=getattr(exc, "status_code", None))
    return TransientError(message)


def _kwargs(call: ProviderCall, stream: bool) -> dict[str, Any]:
    cred = call.deployment.credential
    kwargs: dict[str, Any] = {
        "model": call.deployment.model.upstream,
        "messages": [{"role": m.role, "content": m.content} for m in call.messages],
        "max_tokens": call.max_tokens,
        "temperature": call.temperature,
        "timeout": call.timeout_s,
        "num_retries": 0,  # the router retries, with its own breaker accounting
    }
    if cred.api_key:
        kwargs["api_key"] = cred.api_key
    if cred.base_url:
        kwargs["api_base"] = cred.base_url
    if stream:
        kwargs["stream"] = True
        kwargs["stream_options"] = {"include_usage": True}
    return kwargs


class LiteLLMProvider:
    async def complete(self, call: ProviderCall) -> ProviderResponse:
        litellm = _litellm()
        try:
            response = await litellm.acompletion(**_kwargs(call, stream=False))
        except Exception as exc:
            raise _translate(exc) from exc
        choice = response.choices[0]
        if choice.finish_reason == "content_filter":
            raise ContentPolicyError("refused by the provider (content filter)")
        text = choice.message.content or ""
        usage = getattr(response, "usage", None)
        return ProviderResponse(
            text=text,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or estimate_messages(call.messages)),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or estimate_text(text)),
            finish_reason=choice.finish_reason or "stop",
        )

    async def stream(self, call: ProviderCall) -> AsyncIterator[StreamEvent]:
        litellm = _litellm()
        parts: list[str] = []
        usage: Any = None
        finish = "stop"
        try:
            response = await litellm.acompletion(**_kwargs(call, stream=True))
            async for chunk in response:
                usage = getattr(chunk, "usage", None) or usage
                for choice in chunk.choices or ():
                    finish = choice.finish_reason or finish
                    text = getattr(choice.delta, "content", None) or ""
                    if text:
                        parts.append(text)
                        yield StreamEvent(delta=text)
        except ProviderError:
            raise
        except Exception as exc:
            raise _translate(exc) from exc
        text = "".join(parts)
        yield StreamEvent(
            final=ProviderResponse(
                text=text,
                prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or estimate_messages(call.messages)),
                completion_tokens=int(getattr(usage, "completion_tokens", 0) or estimate_text(text)),
                finish_reason=finish,
            )
        )
