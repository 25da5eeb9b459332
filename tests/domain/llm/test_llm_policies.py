"""Candidate selection and ordering per routing policy."""

from __future__ import annotations

import random

import pytest

from va_app.domain.errors import InvalidInput
from va_app.domain.llm.catalog import LOCAL, ModelDeployment, ModelInfo, ProviderCredential, builtin_models
from va_app.domain.llm.contracts import ModelPolicy
from va_app.domain.llm.errors import NoModelAvailable, UnknownModel
from va_app.domain.llm.policies import select


def _dep(name: str, tier: str, price_in: float, price_out: float, ctx: int = 100_000) -> ModelDeployment:
    model = ModelInfo(name, "p", "openai", name, ctx, 4096, price_in, price_out, tier)  # type: ignore[arg-type]
    return ModelDeployment(model, ProviderCredential("p", "openai"), f"p/{name}")


AVAILABLE = {
    d.model.name: d
    for d in (
        _dep("small", "basic", 0.0001, 0.0004),
        _dep("mid-cheap", "standard", 0.00015, 0.0006),
        _dep("mid-dear", "standard", 0.001, 0.005, ctx=200_000),
        _dep("large", "high", 0.0025, 0.01),
        _dep("large-dear", "high", 0.003, 0.015),
    )
} | {LOCAL: ModelDeployment(builtin_models()[LOCAL], ProviderCredential(LOCAL, "local"), LOCAL)}


def _select(policy: ModelPolicy, text: str = "hello", *, open_: set[str] | None = None, **kw: object) -> list[str]:
    sel = select(
        AVAILABLE,
        policy,
        forced_model=kw.get("forced"),  # type: ignore[arg-type]
        prompt_tokens=int(kw.get("prompt", 100)),  # type: ignore[call-overload]
        last_user_message=text,
        is_open=lambda d: d in (open_ or set()),
        latency_of=lambda d: kw.get("latency", {}).get(d),  # type: ignore[attr-defined]
        rng=random.Random(1),
    )
    return [d.model.name for d in sel.candidates]


def test_cheapest_meeting_the_tier() -> None:
    assert _select(ModelPolicy(quality_tier="standard")) == ["mid-cheap", "mid-dear", "large", "large-dear"]
    assert _select(ModelPolicy(quality_tier="high")) == ["large", "large-dear"]
    assert _select(ModelPolicy(quality_tier="basic"))[0] == "small"  # local only when allowed or nothing else


def test_allowed_models_restrict_and_local_can_be_allowed() -> None:
    assert _select(ModelPolicy(quality_tier="basic", allowed_models=("large", LOCAL))) == [LOCAL, "large"]
    with pytest.raises(NoModelAvailable):
        _select(ModelPolicy(allowed_models=("not-configured",)))


def test_complexity_sends_complex_messages_to_the_large_model_first() -> None:
    policy = ModelPolicy(quality_tier="standard", routing="complexity")
    assert _select(policy, "What time is breakfast?")[0] == "mid-cheap"
    complex_ = "Explain step by step why this function is slow and design a faster algorithm: def f(x): ..."
    assert _select(policy, complex_)[:2] == ["large", "large-dear"]


def test_lowest_latency_first() -> None:
    policy = ModelPolicy(quality_tier="high", routing="latency")
    assert _select(policy, latency={"p/large": 900.0, "p/large-dear": 300.0}) == ["large-dear", "large"]


def test_weighted_choice_follows_the_weights() -> None:
    policy = ModelPolicy(quality_tier="standard", routing="weighted", weights={"mid-dear": 3, "large": 1})
    rng = random.Random(7)
    firsts = [
        select(
            AVAILABLE,
            policy,
            forced_model=None,
            prompt_tokens=100,
            last_user_message="",
            is_open=lambda _d: False,
            latency_of=lambda _d: None,
            rng=rng,
        )
        .candidates[0]
        .model.name
        for _ in range(400)
    ]
    assert set(firsts) == {"mid-dear", "large"}
    assert 0.65 < firsts.count("mid-dear") / 400 < 0.85


def test_open_circuits_and_small_windows_are_skipped() -> None:
    assert _select(ModelPolicy(), open_={"p/mid-cheap"})[0] == "mid-dear"
    assert _select(ModelPolicy(), prompt=150_000) == ["mid-dear"]
    with pytest.raises(InvalidInput):
        _select(ModelPolicy(), prompt=500_000)
    with pytest.raises(NoModelAvailable):
        _select(ModelPolicy(quality_tier="high"), open_={"p/large", "p/large-dear"})


def test_tier_degrades_honestly_to_what_is_configured() -> None:
    only_local = {LOCAL: AVAILABLE[LOCAL]}
    sel = select(
        only_local,
        ModelPolicy(quality_tier="high"),
        forced_model=None,
        prompt_tokens=10,
        last_user_message="",
        is_open=lambda _d: False,
        latency_of=lambda _d: None,
        rng=random.Random(),
    )
    assert [d.model.name for d in sel.candidates] == [LOCAL] and sel.degraded_tier


def test_forced_model() -> None:
    assert _select(ModelPolicy(), forced="large-dear") == ["large-dear"]
    with pytest.raises(UnknownModel):
        _select(ModelPolicy(), forced="gpt-17")
