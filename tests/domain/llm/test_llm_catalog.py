"""Catalog: prices from litellm's bundled map, cost math, tiers, tenant overrides and custom models."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from core.config import LLMSettings, Settings
from va_app.domain.llm.catalog import (
    LOCAL,
    ModelSpec,
    ProviderCredential,
    TenantLLMConfig,
    builtin_models,
    normalize_tier,
    resolve,
)

TENANT = "00000000-0000-0000-0000-000000000001"


def _settings(**llm: object) -> Settings:
    return Settings(llm=LLMSettings(**llm))  # type: ignore[arg-type]


def test_well_known_models_are_priced_from_the_litellm_map() -> None:
    models = builtin_models()
    mini = models["gpt-4o-mini"]
    assert (mini.provider, mini.tier, mini.wire) == ("openai", "standard", "openai")
    assert mini.input_per_1k == pytest.approx(0.00015) and mini.output_per_1k == pytest.approx(0.0006)
    assert mini.context_window == 128_000 and "tools" in mini.capabilities
    assert models["claude-3-5-sonnet"].tier == "high" and models["claude-3-5-sonnet"].wire == "anthropic"
    assert models["gemini-1.5-flash"].wire == "litellm"
    assert models[LOCAL].input_per_1k == 0 and models[LOCAL].output_per_1k == 0


def test_cost_is_price_times_tokens() -> None:
    mini = builtin_models()["gpt-4o-mini"]
    # 1 000 prompt tokens at $0.15/M + 500 completion tokens at $0.60/M
    assert mini.cost(1000, 500) == pytest.approx(0.00015 + 0.0003)
    assert builtin_models()[LOCAL].cost(10_000, 10_000) == 0


def test_tier_aliases_of_agent_versions() -> None:
    assert normalize_tier("economy") == "basic"
    assert normalize_tier("premium") == "high"
    with pytest.raises(ValueError):
        normalize_tier("ultra")


def test_without_keys_only_local_is_available() -> None:
    assert list(resolve(_settings(), TenantLLMConfig(), TENANT)) == [LOCAL]


def test_platform_keys_make_a_provider_available_to_everyone() -> None:
    available = resolve(_settings(openai_api_key=SecretStr("sk-x")), TenantLLMConfig(), TENANT)
    assert {"gpt-4o-mini", "gpt-4o", LOCAL} <= set(available)
    assert "claude-3-5-haiku" not in available
    assert available["gpt-4o"].id == "openai/gpt-4o"  # platform key: shared breaker


def test_tenant_credentials_overrides_and_custom_models() -> None:
    config = TenantLLMConfig(
        credentials={
            "anthropic": ProviderCredential("anthropic", "anthropic", "key", None, tenant_owned=True),
            "vllm": ProviderCredential("vllm", "openai", None, "http://vllm:8000/v1", tenant_owned=True),
        },
        models=(
            ModelSpec("claude-3-5-haiku", provider="anthropic", input_per_1k=0.0001, tier="basic"),
            ModelSpec("llama-3-8b", provider="vllm", upstream="meta-llama/Llama-3-8B", tier="basic"),
            ModelSpec(LOCAL, enabled=False),
        ),
    )
    available = resolve(_settings(), config, TENANT)
    claude = {"claude-3-5-haiku", "claude-3-5-sonnet", "claude-haiku-4-5", "claude-sonnet-4-5"}
    assert set(available) == claude | {"llama-3-8b"}
    haiku = available["claude-3-5-haiku"].model
    assert (haiku.input_per_1k, haiku.tier, haiku.source) == (0.0001, "basic", "override")
    assert haiku.output_per_1k == builtin_models()["claude-3-5-haiku"].output_per_1k
    llama = available["llama-3-8b"]
    assert (llama.model.wire, llama.model.upstream, llama.model.source) == ("openai", "meta-llama/Llama-3-8B", "custom")
    assert llama.model.cost(1000, 1000) == 0
    assert llama.id.startswith(TENANT)  # a tenant's own deployment never shares a breaker
