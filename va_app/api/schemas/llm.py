"""Wire schemas of ``/llm``: models and prices, raw queries, cost what-ifs, provider keys."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic.dataclasses import dataclass

from va_app.api.schemas.common import Listing, Strict
from va_app.domain.llm.catalog import ExternalWire, RequestTier
from va_app.domain.llm.contracts import Policy
from va_app.domain.llm.optimize import OptimizeReport, PolicyEstimate
from va_app.domain.llm.service import ModelView
from va_app.domain.llm.tenant_config import ProviderView

# The words are the domain's own: one definition of tiers, routing policies and wires.
Tier = RequestTier
Routing = Policy


@dataclass(frozen=True)
class ModelPublic(ModelView):
    input_per_1k: Annotated[float, Field(description="USD per 1 000 prompt tokens")]
    output_per_1k: Annotated[float, Field(description="USD per 1 000 completion tokens")]
    source: Annotated[str, Field(description="builtin, override (tenant price/tier) or custom (tenant's own model)")]
    state: Annotated[str, Field(description="circuit breaker: closed, open or half_open")]


class ModelsPublic(Listing[ModelPublic]):
    pass


class MessageIn(Strict):
    role: Literal["system", "user", "assistant"]
    content: str = Field(max_length=200_000)


class QueryRequest(Strict):
    messages: list[MessageIn] | None = Field(default=None, max_length=500)
    prompt: str | None = Field(default=None, max_length=200_000, description="shorthand for one user message")
    system: str | None = Field(default=None, max_length=100_000)
    model: str | None = Field(default=None, max_length=200, description="force one model (no routing)")
    quality_tier: Tier = "standard"
    routing: Routing = "cheapest"
    allowed_models: list[str] = Field(default_factory=list, max_length=50)
    weights: dict[str, float] = Field(default_factory=dict)
    max_output_tokens: int = Field(default=512, ge=1, le=32_768)
    temperature: float = Field(default=0.2, ge=0, le=2)
    knowledge: list[str] = Field(default_factory=list, max_length=50, description="context for the local model")
    agent_id: str | None = Field(default=None, max_length=64, description="attribute the cost to this agent")
    end_user_id: str | None = Field(default=None, max_length=200)
    stream: bool = False

    @model_validator(mode="after")
    def _one_of(self) -> QueryRequest:
        if not self.messages and not self.prompt:
            raise ValueError("send 'messages' or 'prompt'")
        return self

    def chat(self) -> list[tuple[str, str]]:
        out = [("system", self.system)] if self.system else []
        out += [(m.role, m.content) for m in self.messages or ()]
        if self.prompt:
            out.append(("user", self.prompt))
        return out


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class QueryResponse(BaseModel):
    text: str
    model: str
    provider: str
    usage: Usage
    cost_usd: float
    latency_ms: float
    attempts: int
    fallback_from: str | None
    finish_reason: str
    extra: dict[str, object]


class OptimizeRequest(Strict):
    days: int = Field(default=7, ge=1, le=90)
    quality_tier: Tier = "standard"
    weights: dict[str, float] = Field(default_factory=dict)


# The domain's trailing defaults are always filled in an answer: required on the wire
# (``Field()`` without a default: a bare annotation would inherit the dataclass default).
@dataclass(frozen=True)
class PolicyEstimatePublic(PolicyEstimate):
    note: str = Field()


@dataclass(frozen=True)
class OptimizeResponse(OptimizeReport):
    # a new list of the wire type: list is invariant, but nothing appends to an answer
    policies: list[PolicyEstimatePublic] = Field()  # type: ignore[assignment]
    recommendation: str = Field()


class HealthPublic(BaseModel):
    data: list[dict[str, object]]


class CustomModelIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    upstream: str | None = Field(default=None, max_length=200, description="model id sent to the provider")
    context_window: int | None = Field(default=None, ge=256, le=10_000_000)
    max_output_tokens: int | None = Field(default=None, ge=1, le=1_000_000)
    input_per_1k: float | None = Field(default=None, ge=0, le=1000)
    output_per_1k: float | None = Field(default=None, ge=0, le=1000)
    tier: Tier | None = None
    capabilities: list[str] | None = Field(default=None, max_length=20)
    enabled: bool = True


class ProviderPut(Strict):
    api_key: str | None = Field(
        default=None, min_length=1, max_length=4000, description="stored encrypted; never returned"
    )
    base_url: str | None = Field(default=None, max_length=2000, description="e.g. http://vllm:8000/v1")
    wire: ExternalWire | None = None
    models: list[CustomModelIn] | None = Field(
        default=None, max_length=200, description="overrides of built-in models or custom models; replaces the list"
    )


@dataclass(frozen=True)
class ProviderPublic(ProviderView):
    pass


class ProvidersPublic(Listing[ProviderPublic]):
    pass
