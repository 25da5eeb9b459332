"""How the runtime reaches the LLM router: only through the contract in ``va_app.domain.llm.contracts``.

The router (model choice, retries, fallbacks, budgets, cost) is owned by ``va_app.domain.llm``;
the runtime asks for the process-wide instance on each turn, so tests and benchmarks can put a
recording double in front of it with :func:`use_router`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Protocol, SupportsFloat, runtime_checkable

from va_app.domain.llm.catalog import Tier
from va_app.domain.llm.contracts import LLMRouter, ModelPolicy

_override: LLMRouter | None = None

# Agent versions name tiers for people (economy/standard/premium); the router's contract
# names them for models (basic/standard/high).
TIERS: dict[str, Tier] = {
    "economy": "basic",
    "standard": "standard",
    "premium": "high",
    "basic": "basic",
    "high": "high",
}


def use_router(router: LLMRouter | None) -> None:
    """Route every turn through ``router`` (None: back to the platform's router)."""
    global _override
    _override = router


def get_router() -> LLMRouter:
    if _override is not None:
        return _override
    from va_app.domain.llm.router import get_router as platform_router

    return platform_router()


@runtime_checkable
class ModelCatalog(Protocol):
    """What ``GET /models`` asks of the router beyond the contract: the tenant's usable models."""

    async def available(self, tenant_id: uuid.UUID) -> Mapping[str, Any]: ...


async def available_models(tenant_id: uuid.UUID) -> list[str]:
    router = get_router()
    if not isinstance(router, ModelCatalog):
        return []
    return sorted(await router.available(tenant_id))


def policy_for(model_policy: dict[str, object], temperature: float, max_output_tokens: int = 512) -> ModelPolicy:
    """The version's model policy in the router's terms."""
    tier = TIERS.get(str(model_policy.get("quality_tier") or "standard"), "standard")
    allowed = model_policy.get("allowed_models") or ()
    assert isinstance(allowed, list | tuple)
    max_cost = model_policy.get("max_cost_per_conversation_usd", model_policy.get("max_cost_per_conversation"))
    assert max_cost is None or isinstance(max_cost, SupportsFloat | str)
    return ModelPolicy(
        quality_tier=tier,
        allowed_models=tuple(str(m) for m in allowed),
        max_cost_per_conversation=float(max_cost) if max_cost is not None else None,
        max_output_tokens=max_output_tokens,
        temperature=float(temperature),
    )
