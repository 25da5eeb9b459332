"""What would the last N days of traffic have cost under each routing policy?

The tokens actually spent per model (from the analytics rollups) are re-priced at the model
each policy would have chosen among the tenant's *currently* available models. For the
complexity policy, a sample of real user messages is classified to split the tokens between
the small and the large model. Cache hits cost nothing either way and are left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from analytics.queries import llm_costs
from core import clickhouse
from va_app.domain.errors import InvalidInput
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.llm import policies
from va_app.domain.llm.catalog import ModelDeployment, normalize_tier
from va_app.domain.llm.classifier import classify
from va_app.domain.llm.contracts import ModelPolicy
from va_app.domain.llm.errors import NoModelAvailable
from va_app.domain.llm.router import Router


@dataclass(frozen=True)
class PolicyEstimate:
    policy: str
    estimated_cost_usd: float | None
    savings_usd: float | None
    models: dict[str, float]  # model -> share of tokens it would have taken
    note: str = ""


@dataclass(frozen=True)
class OptimizeReport:
    days: int
    start: dt.datetime
    end: dt.datetime
    calls: int
    prompt_tokens: int
    completion_tokens: int
    actual_cost_usd: float
    by_model: list[dict[str, object]]
    policies: list[PolicyEstimate] = field(default_factory=list)
    recommendation: str = ""


def _price(dep: ModelDeployment, prompt: int, completion: int) -> float:
    return dep.model.cost(prompt, completion)


async def optimize(
    principal: Principal, router: Router, *, days: int, quality_tier: str, weights: dict[str, float]
) -> OptimizeReport:
    principal.require(Perm.ANALYTICS_READ)
    if not 1 <= days <= 90:
        raise InvalidInput("days must be between 1 and 90")
    try:
        tier = normalize_tier(quality_tier)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    end = dt.datetime.now(dt.UTC)
    start = end - dt.timedelta(days=days)
    tenant = str(principal.tenant_id)
    frame = await clickhouse.run(llm_costs.model_usage, tenant, start, end)
    prompt, completion = int(frame["prompt_tokens"].sum() or 0), int(frame["completion_tokens"].sum() or 0)
    actual = round(float(frame["cost_usd"].sum() or 0.0), 6)
    report = OptimizeReport(
        days=days,
        start=start,
        end=end,
        calls=int(frame["events"].sum() or 0),
        prompt_tokens=prompt,
        completion_tokens=completion,
        actual_cost_usd=actual,
        by_model=[_rounded(row) for row in frame.to_dicts()],
    )
    available = await router.available(principal.tenant_id)
    try:
        candidates = list(policies.candidates_for_replay(available, ModelPolicy(quality_tier=tier)))
    except NoModelAvailable:
        return report
    by_price = sorted(candidates, key=lambda d: (_price(d, prompt, completion), d.model.name))
    cheapest = by_price[0]
    estimates = [PolicyEstimate("cheapest", *_single(cheapest, prompt, completion, actual))]

    messages = await clickhouse.run(llm_costs.sample_user_messages, tenant, start, end)
    share = sum(classify(m).label == "complex" for m in messages) / len(messages) if messages else 0.0
    top = max(d.model.tier_rank for d in by_price)
    large = next(d for d in by_price if d.model.tier_rank == top)
    cost = share * _price(large, prompt, completion) + (1 - share) * _price(cheapest, prompt, completion)
    note = f"{share:.0%} of {len(messages)} sampled messages classified complex"
    mix = {cheapest.model.name: round(1 - share, 4)}
    mix[large.model.name] = round(mix.get(large.model.name, 0) + share, 4)
    estimates.append(PolicyEstimate("complexity", round(cost, 6), round(actual - cost, 6), mix, note))

    fastest = min(by_price, key=lambda d: router.breakers.latency(d.id) or float("inf"))
    measured = router.breakers.latency(fastest.id) is not None
    estimates.append(
        PolicyEstimate(
            "latency",
            *_single(fastest if measured else cheapest, prompt, completion, actual),
            note="" if measured else "no latency measured yet in this process; cheapest assumed",
        )
    )
    weighted = [(d, weights[d.model.name]) for d in by_price if weights.get(d.model.name, 0) > 0]
    if weighted:
        total = sum(w for _, w in weighted)
        cost = sum(w / total * _price(d, prompt, completion) for d, w in weighted)
        shares = {d.model.name: round(w / total, 4) for d, w in weighted}
        estimates.append(PolicyEstimate("weighted", round(cost, 6), round(actual - cost, 6), shares))
    else:
        estimates.append(PolicyEstimate("weighted", None, None, {}, "pass weights to estimate"))
    report.policies.extend(estimates)
    best = min((e for e in estimates if e.estimated_cost_usd is not None), key=lambda e: e.estimated_cost_usd or 0.0)
    saving = actual - (best.estimated_cost_usd or 0.0)
    report_text = (
        f"'{best.policy}' would have cost {best.estimated_cost_usd:.4f} USD instead of {actual:.4f} USD "
        f"({saving:+.4f} USD saved)"
        if prompt + completion
        else "no LLM traffic in this period"
    )
    return replace(report, recommendation=report_text)


def _single(dep: ModelDeployment, prompt: int, completion: int, actual: float) -> tuple[float, float, dict[str, float]]:
    cost = round(_price(dep, prompt, completion), 6)
    return cost, round(actual - cost, 6), {dep.model.name: 1.0}


def _rounded(row: dict[str, object]) -> dict[str, object]:
    return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in row.items()}
