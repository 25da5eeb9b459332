"""The model catalog: what each model costs, how large its window is, how good it is.

Prices and windows of the well-known models come from litellm's bundled cost map, read as a
JSON file (importing litellm costs seconds; reading its map costs ~50 ms once per process, and
nothing is fetched from the internet). A curated list says which of the ~5 000 entries we
offer and at which quality tier, with published prices as a fallback when the map lacks an
entry. On top: the built-in offline ``local`` model (free), and per tenant overrides of
built-in models and custom/self-hosted models (an OpenAI-compatible ``base_url``).
A model is *available* to a tenant when its provider has credentials, from the settings
(platform-wide) or stored by the tenant.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeGuard, get_args

import orjson

from core.config import Settings

log = logging.getLogger(__name__)

Tier = Literal["basic", "standard", "high"]
# The words agent versions use for the same tiers (economy = basic, premium = high).
TierAlias = Literal["economy", "premium"]
RequestTier = Literal[Tier, TierAlias]  # what an API caller may ask for
# How we talk to a provider: our own HTTP clients (OpenAI, Anthropic wire formats) or litellm.
# ``local`` is the built-in deterministic model; a tenant's own provider uses one of the others.
ExternalWire = Literal["openai", "anthropic", "litellm"]
Wire = Literal["local", ExternalWire]
TIER_RANK: dict[str, int] = {"basic": 0, "standard": 1, "high": 2}
_TIER_ALIASES = {"economy": "basic", "premium": "high"}
LOCAL = "local"
PROVIDER_WIRES: dict[str, Wire] = {"local": "local", "openai": "openai", "anthropic": "anthropic"}


def is_tier(value: str) -> TypeGuard[Tier]:
    return value in get_args(Tier)


def is_wire(value: str) -> TypeGuard[Wire]:
    return value in get_args(Wire)


def normalize_tier(tier: str) -> Tier:
    """Agent versions say economy/standard/premium; the router says basic/standard/high."""
    value = _TIER_ALIASES.get(tier, tier)
    if not is_tier(value):
        raise ValueError(f"unknown quality tier '{tier}'")
    return value


def wire_for(provider: str) -> Wire:
    """Our own HTTP clients speak OpenAI and Anthropic; everything else goes through litellm."""
    return PROVIDER_WIRES.get(provider, "litellm")


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str  # what policies and callers use
    provider: str
    wire: Wire
    upstream: str  # the model id sent to the provider
    context_window: int
    max_output_tokens: int
    input_per_1k: float  # USD per 1 000 prompt tokens
    output_per_1k: float  # USD per 1 000 completion tokens
    tier: Tier
    capabilities: tuple[str, ...] = ("chat", "streaming")
    source: Literal["builtin", "override", "custom"] = "builtin"

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return round(prompt_tokens * self.input_per_1k / 1000 + completion_tokens * self.output_per_1k / 1000, 9)

    @property
    def tier_rank(self) -> int:
        return TIER_RANK[self.tier]


@dataclass(frozen=True, slots=True)
class ProviderCredential:
    provider: str
    wire: Wire
    api_key: str | None = None
    base_url: str | None = None
    tenant_owned: bool = False  # breakers of a tenant's own key never affect other tenants


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A tenant's override of a built-in model (same name) or a custom model; None = keep."""

    name: str
    provider: str | None = None
    upstream: str | None = None
    context_window: int | None = None
    max_output_tokens: int | None = None
    input_per_1k: float | None = None
    output_per_1k: float | None = None
    tier: Tier | None = None
    capabilities: tuple[str, ...] | None = None
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class TenantLLMConfig:
    credentials: dict[str, ProviderCredential] = field(default_factory=dict)
    models: tuple[ModelSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class ModelDeployment:
    """A model together with the credentials that reach it; ``id`` keys breakers and latency."""

    model: ModelInfo
    credential: ProviderCredential
    id: str


# name, provider, tier, upstream model id, keys to look up in litellm's map, fallback $/1k in/out, window
_CURATED: tuple[tuple[str, str, Tier, str, tuple[str, ...], tuple[float, float], int], ...] = (
    ("gpt-4.1-nano", "openai", "basic", "gpt-4.1-nano", ("gpt-4.1-nano",), (0.0001, 0.0004), 1_047_576),
    ("gemini-1.5-flash", "gemini", "basic", "gemini/gemini-1.5-flash",
     ("gemini/gemini-1.5-flash",), (0.000075, 0.0003), 1_048_576),
    ("gpt-4o-mini", "openai", "standard", "gpt-4o-mini", ("gpt-4o-mini",), (0.00015, 0.0006), 128_000),
    ("gpt-4.1-mini", "openai", "standard", "gpt-4.1-mini", ("gpt-4.1-mini",), (0.0004, 0.0016), 1_047_576),
    ("claude-3-5-haiku", "anthropic", "standard", "claude-3-5-haiku-20241022",
     ("claude-3-5-haiku-20241022", "anthropic.claude-3-5-haiku-20241022-v1:0"), (0.0008, 0.004), 200_000),
    ("claude-haiku-4-5", "anthropic", "standard", "claude-haiku-4-5", ("claude-haiku-4-5",), (0.001, 0.005), 200_000),
    ("gemini-2.5-flash", "gemini", "standard", "gemini/gemini-2.5-flash",
     ("gemini/gemini-2.5-flash",), (0.0003, 0.0025), 1_048_576),
    ("gpt-4o", "openai", "high", "gpt-4o", ("gpt-4o",), (0.0025, 0.01), 128_000),
    ("gpt-4.1", "openai", "high", "gpt-4.1", ("gpt-4.1",), (0.002, 0.008), 1_047_576),
    ("claude-3-5-sonnet", "anthropic", "high", "claude-3-5-sonnet-20241022",
     ("claude-3-5-sonnet-20241022", "anthropic.claude-3-5-sonnet-20241022-v2:0"), (0.003, 0.015), 200_000),
    ("claude-sonnet-4-5", "anthropic", "high", "claude-sonnet-4-5", ("claude-sonnet-4-5",), (0.003, 0.015), 200_000),
    ("gemini-2.5-pro", "gemini", "high", "gemini/gemini-2.5-pro",
     ("gemini/gemini-2.5-pro",), (0.00125, 0.01), 1_048_576),
)  # fmt: skip

LOCAL_MODEL = ModelInfo(
    name=LOCAL,
    provider=LOCAL,
    wire="local",
    upstream=LOCAL,
    context_window=32_768,
    max_output_tokens=1024,
    input_per_1k=0.0,
    output_per_1k=0.0,
    tier="basic",
    capabilities=("chat", "streaming", "offline"),
)


def _litellm_cost_map_path() -> Path | None:
    """Find litellm's bundled map without importing litellm (its import takes seconds)."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model_prices_and_context_window_backup.json"
    return path if path.exists() else None


@lru_cache(maxsize=1)
def litellm_cost_map() -> dict[str, dict[str, Any]]:
    path = _litellm_cost_map_path()
    if path is None:
        log.warning("litellm's cost map was not found; using the curated fallback prices")
        return {}
    data = orjson.loads(path.read_bytes())
    return data if isinstance(data, dict) else {}


def _capabilities(entry: dict[str, Any]) -> tuple[str, ...]:
    caps = ["chat", "streaming"]
    for flag, name in (
        ("supports_function_calling", "tools"),
        ("supports_vision", "vision"),
        ("supports_response_schema", "json_schema"),
        ("supports_reasoning", "reasoning"),
        ("supports_prompt_caching", "prompt_caching"),
    ):
        if entry.get(flag):
            caps.append(name)
    return tuple(caps)


def _from_map(
    name: str, provider: str, tier: Tier, upstream: str, keys: tuple[str, ...], fallback: tuple[float, float], ctx: int
) -> ModelInfo:
    cost_map = litellm_cost_map()
    entry = next((cost_map[k] for k in keys if k in cost_map), None)
    if entry and entry.get("input_cost_per_token") is not None and entry.get("output_cost_per_token") is not None:
        return ModelInfo(
            name=name,
            provider=provider,
            wire=wire_for(provider),
            upstream=upstream,
            context_window=int(entry.get("max_input_tokens") or ctx),
            max_output_tokens=int(entry.get("max_output_tokens") or 4096),
            input_per_1k=round(float(entry["input_cost_per_token"]) * 1000, 12),
            output_per_1k=round(float(entry["output_cost_per_token"]) * 1000, 12),
            tier=tier,
            capabilities=_capabilities(entry),
        )
    return ModelInfo(name, provider, wire_for(provider), upstream, ctx, 4096, fallback[0], fallback[1], tier)


@lru_cache(maxsize=1)
def builtin_models() -> dict[str, ModelInfo]:
    """Every model we know how to price, by name (cached: the map is read once)."""
    models = {LOCAL: LOCAL_MODEL}
    for row in _CURATED:
        models[row[0]] = _from_map(*row)
    return models


def platform_credentials(settings: Settings) -> dict[str, ProviderCredential]:
    """Providers configured for every tenant through the settings (``LLM__*``)."""
    llm = settings.llm
    creds = {LOCAL: ProviderCredential(LOCAL, "local")}
    if llm.openai_api_key is not None:
        creds["openai"] = ProviderCredential(
            "openai", "openai", llm.openai_api_key.get_secret_value(), llm.openai_base_url
        )
    if llm.anthropic_api_key is not None:
        creds["anthropic"] = ProviderCredential(
            "anthropic", "anthropic", llm.anthropic_api_key.get_secret_value(), llm.anthropic_base_url
        )
    return creds


def _apply(base: ModelInfo | None, spec: ModelSpec, credential: ProviderCredential | None) -> ModelInfo | None:
    """A built-in model with a tenant's override applied, or a custom model built from the spec."""
    if base is not None:
        return replace(
            base,
            upstream=spec.upstream or base.upstream,
            context_window=spec.context_window or base.context_window,
            max_output_tokens=spec.max_output_tokens or base.max_output_tokens,
            input_per_1k=base.input_per_1k if spec.input_per_1k is None else spec.input_per_1k,
            output_per_1k=base.output_per_1k if spec.output_per_1k is None else spec.output_per_1k,
            tier=spec.tier or base.tier,
            capabilities=spec.capabilities or base.capabilities,
            source="override",
        )
    if spec.provider is None:
        return None
    return ModelInfo(
        name=spec.name,
        provider=spec.provider,
        wire=credential.wire if credential else wire_for(spec.provider),
        upstream=spec.upstream or spec.name,
        context_window=spec.context_window or 8192,
        max_output_tokens=spec.max_output_tokens or 2048,
        input_per_1k=spec.input_per_1k or 0.0,
        output_per_1k=spec.output_per_1k or 0.0,
        tier=spec.tier or "standard",
        capabilities=spec.capabilities or ("chat", "streaming"),
        source="custom",
    )


def _deployment_id(model: ModelInfo, credential: ProviderCredential, tenant_id: str) -> str:
    base = f"{model.provider}/{model.upstream}"
    return f"{tenant_id}:{base}" if credential.tenant_owned else base


def resolve(settings: Settings, config: TenantLLMConfig, tenant_id: str) -> dict[str, ModelDeployment]:
    """The models this tenant can use right now, with the credentials that reach each one."""
    credentials = {**platform_credentials(settings), **config.credentials}
    models = dict(builtin_models())
    disabled: set[str] = set()
    for spec in config.models:
        if not spec.enabled:
            disabled.add(spec.name)
            continue
        owner = spec.provider or (models[spec.name].provider if spec.name in models else None)
        built = _apply(models.get(spec.name), spec, credentials.get(owner or ""))
        if built is not None:
            models[spec.name] = built
    out: dict[str, ModelDeployment] = {}
    for name, model in models.items():
        credential = credentials.get(model.provider)
        if name in disabled or credential is None:
            continue
        out[name] = ModelDeployment(model, credential, _deployment_id(model, credential, tenant_id))
    return out
