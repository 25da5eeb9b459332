"""Provider adapters by wire format: ``local``, ``openai``, ``anthropic``, ``litellm``."""

from __future__ import annotations

from va_app.domain.llm.catalog import Wire
from va_app.domain.llm.providers.anthropic import AnthropicProvider
from va_app.domain.llm.providers.base import Provider, ProviderCall, ProviderResponse, StreamEvent
from va_app.domain.llm.providers.litellm_provider import LiteLLMProvider
from va_app.domain.llm.providers.local import LocalProvider
from va_app.domain.llm.providers.openai_compatible import OpenAICompatibleProvider


def default_providers() -> dict[Wire, Provider]:
    return {
        "local": LocalProvider(),
        "openai": OpenAICompatibleProvider(),
        "anthropic": AnthropicProvider(),
        "litellm": LiteLLMProvider(),
    }


__all__ = ["Provider", "ProviderCall", "ProviderResponse", "StreamEvent", "default_providers"]
