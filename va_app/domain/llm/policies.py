"""Which models may answer a request, and in which order to try them.

Candidates = the tenant's available models ∩ the policy (tier at or above, allowed models)
minus open circuits and models whose window cannot hold the prompt. The order is the
routing policy: ``cheapest`` meeting the tier, ``complexity`` (large model first for
complex messages), lowest observed ``latency``, or ``weighted`` random choice. The rest of
the list is the fallback chain.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from va_app.domain.errors import InvalidInput
from va_app.domain.llm.catalog import LOCAL, TIER_RANK, ModelDeployment, normalize_tier
from va_app.domain.llm.classifier import classify
from va_app.domain.llm.contracts import ModelPolicy
from va_app.domain.llm.errors import NoModelAvailable, UnknownModel


@dataclass(frozen=True, slots=True)
class Selection:
    candidates: list[ModelDeployment]
    degraded_tier: bool = False  # nothing of the required tier is configured; best available used
    complexity: str | None = None
    notes: dict[str, object] = field(default_factory=dict)


def worst_case_cost(deployment: ModelDeployment, prompt_tokens: int, max_output: int) -> float:
    return deployment.model.cost(prompt_tokens, max_output)


def _pool(available: dict[str, ModelDeployment], policy: ModelPolicy) -> list[ModelDeployment]:
    if policy.allowed_models:
        pool = [available[name] for name in policy.allowed_models if name in available]
        if not pool:
            raise NoModelAvailable(
                f"none of the allowed models {list(policy.allowed_models)} is configured for this tenant"
            )
        return pool
    return [d for name, d in available.items() if name != LOCAL]


def _meeting_tier(
    pool: list[ModelDeployment], available: dict[str, ModelDeployment], policy: ModelPolicy
) -> tuple[list[ModelDeployment], bool]:
    required = TIER_RANK[normalize_tier(policy.quality_tier)]
    meeting = [d for d in pool if d.model.tier_rank >= required]
    if meeting:
        return meeting, False
    if pool:  # degrade honestly to the best tier that is configured
        top = max(d.model.tier_rank for d in pool)
        return [d for d in pool if d.model.tier_rank == top], True
    if LOCAL in available:
        return [available[LOCAL]], True
    raise NoModelAvailable("no model is configured for this tenant")


def order(
    candidates: list[ModelDeployment],
    policy: ModelPolicy,
    *,
    prompt_tokens: int,
    last_user_message: str,
    latency_of: Callable[[str], float | None],
    rng: random.Random,
) -> tuple[list[ModelDeployment], str | None]:
    """Sort by the routing policy; returns the order and, for ``complexity``, the label."""

    def price(d: ModelDeployment) -> tuple[float, int, str]:
        return (worst_case_cost(d, prompt_tokens, policy.max_output_tokens), d.model.tier_rank, d.model.name)

    by_price = sorted(candidates, key=price)
    if policy.routing == "complexity":
        label = classify(last_user_message).label
        if label == "complex":
            top = max(d.model.tier_rank for d in by_price)
            return [d for d in by_price if d.model.tier_rank == top] + [
                d for d in by_price if d.model.tier_rank != top
            ], label
        return by_price, label
    if policy.routing == "latency":
        return sorted(by_price, key=lambda d: latency_of(d.id) or 0.0), None
    if policy.routing == "weighted":
        weighted = [d for d in by_price if policy.weights.get(d.model.name, 0) > 0]
        if weighted:
            first = rng.choices(weighted, weights=[policy.weights[d.model.name] for d in weighted])[0]
            return [first] + [d for d in by_price if d is not first], None
    return by_price, None


def select(
    available: dict[str, ModelDeployment],
    policy: ModelPolicy,
    *,
    forced_model: str | None,
    prompt_tokens: int,
    last_user_message: str,
    is_open: Callable[[str], bool],
    latency_of: Callable[[str], float | None],
    rng: random.Random,
) -> Selection:
    if forced_model is not None:
        if forced_model not in available:
            raise UnknownModel(f"model '{forced_model}' is not available to this tenant; see GET /api/v1/llm/models")
        chosen = available[forced_model]
        if is_open(chosen.id):
            raise NoModelAvailable(f"model '{forced_model}' is temporarily unavailable (circuit open)")
        return Selection([chosen])
    pool = _pool(available, policy)
    meeting, degraded = _meeting_tier(pool, available, policy)
    fits = [d for d in meeting if d.model.context_window >= prompt_tokens]
    if not fits:
        raise InvalidInput(f"the prompt (~{prompt_tokens} tokens) does not fit the window of any candidate model")
    closed = [d for d in fits if not is_open(d.id)]
    if not closed:
        raise NoModelAvailable("every candidate model is temporarily unavailable (circuits open)")
    ordered, label = order(
        closed, policy, prompt_tokens=prompt_tokens, last_user_message=last_user_message, latency_of=latency_of, rng=rng
    )
    return Selection(ordered, degraded, label)


def candidates_for_replay(available: dict[str, ModelDeployment], policy: ModelPolicy) -> Sequence[ModelDeployment]:
    """The candidates a policy would consider, ignoring live health (for cost what-ifs)."""
    return _meeting_tier(_pool(available, policy), available, policy)[0]
