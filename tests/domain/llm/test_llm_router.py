"""The router against a real local HTTP server speaking the OpenAI and Anthropic wire formats.

No backend markers: the router here has no budgets and no usage counters (those are tested
with Redis in ``test_llm_budgets.py``); the tenant's configuration is given directly.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from core.config import LLMSettings, Settings
from tools.fake_llm import FakeLLMServer
from va_app.domain.llm.catalog import LOCAL, ModelSpec, ProviderCredential, TenantLLMConfig
from va_app.domain.llm.contracts import Attribution, ChatMessage, LLMRequest, ModelPolicy
from va_app.domain.llm.errors import AllModelsFailed, NoModelAvailable
from va_app.domain.llm.router import Router

TENANT = uuid.uuid4()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _reset(fake: FakeLLMServer) -> None:
    httpx.post(f"{fake.base_url}/_admin/config", json={"latency_ms": 0, "error_rate": 0})


def _stats(fake: FakeLLMServer) -> dict[str, int]:
    return httpx.get(f"{fake.base_url}/_admin/stats").json()["requests"]


def m(name: str, provider: str, upstream: str, price: float = 0.001, tier: str = "standard") -> ModelSpec:
    """A tenant model on the fake server: provider 'oa' (OpenAI wire) or 'an' (Anthropic wire)."""
    return ModelSpec(name, provider=provider, upstream=upstream, tier=tier, input_per_1k=price, output_per_1k=2 * price)  # type: ignore[arg-type]


def _config(fake: FakeLLMServer, *models: ModelSpec) -> TenantLLMConfig:
    return TenantLLMConfig(
        credentials={
            "oa": ProviderCredential("oa", "openai", "sk-test", fake.openai_base_url, tenant_owned=True),
            "an": ProviderCredential("an", "anthropic", "sk-ant", fake.base_url, tenant_owned=True),
        },
        models=(*models, ModelSpec(LOCAL, enabled=False)),
    )


def _router(config: TenantLLMConfig, **llm: object) -> tuple[Router, list[float]]:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async def loader(_tenant: uuid.UUID) -> TenantLLMConfig:
        return config

    settings = Settings(llm=LLMSettings(**{"retry_base_s": 0.01, "breaker_failures": 3, **llm}))  # type: ignore[arg-type]
    return Router(settings=settings, config_loader=loader, sleep=sleep), sleeps


def _request(text: str = "What are your opening hours?", **policy: object) -> LLMRequest:
    return LLMRequest(
        messages=(ChatMessage("system", "You are a hotel concierge."), ChatMessage("user", text)),
        policy=ModelPolicy(**policy),  # type: ignore[arg-type]
        attribution=Attribution(TENANT),
    )


async def test_openai_wire_answer_usage_and_cost(fake: FakeLLMServer) -> None:
    router, _ = _router(_config(fake, m("m", "oa", "gpt-fake")))
    result = await router.complete(_request())
    assert result.model == "m" and result.provider == "oa" and result.attempts == 1
    assert result.text.startswith("Fake answer from gpt-fake")
    assert result.prompt_tokens > 0 and result.completion_tokens == len(result.text.split())
    expected = result.prompt_tokens * 0.001 / 1000 + result.completion_tokens * 0.002 / 1000
    assert result.cost_usd == pytest.approx(expected)


async def test_anthropic_wire_answer(fake: FakeLLMServer) -> None:
    router, _ = _router(_config(fake, m("c", "an", "claude-fake")))
    result = await router.complete(_request())
    assert result.provider == "an" and result.text.startswith("Fake answer from claude-fake")
    assert result.finish_reason == "stop" and result.completion_tokens > 0


async def test_retries_transient_errors_with_backoff(fake: FakeLLMServer) -> None:
    router, sleeps = _router(_config(fake, m("m", "oa", "flaky-2")))
    result = await router.complete(_request())
    assert result.model == "m" and result.attempts == 3 and result.fallback_from is None
    assert len(sleeps) == 2 and all(0 <= s <= 0.01 * 2**i for i, s in enumerate(sleeps))
    assert _stats(fake)["flaky-2"] == 3


async def test_falls_back_from_a_failing_primary_provider_to_a_secondary(fake: FakeLLMServer) -> None:
    config = _config(fake, m("primary", "oa", "always-500"), m("secondary", "an", "ok", 0.002))
    router, _ = _router(config, max_retries=1)
    result = await router.complete(_request())
    assert (result.model, result.provider, result.fallback_from) == ("secondary", "an", "primary")
    assert result.attempts == 3  # primary twice (one retry), then secondary
    assert any("primary: transient" in e for e in result.extra["errors"])  # type: ignore[union-attr]


async def test_rate_limited_primary_is_retried_then_skipped(fake: FakeLLMServer) -> None:
    config = _config(fake, m("primary", "oa", "always-429"), m("secondary", "oa", "ok", 0.002))
    router, sleeps = _router(config, max_retries=2)
    result = await router.complete(_request())
    assert result.model == "secondary" and _stats(fake)["always-429"] == 3 and len(sleeps) == 2


@pytest.mark.parametrize("provider", ["oa", "an"])
async def test_context_window_overflow_falls_back_to_a_larger_model(fake: FakeLLMServer, provider: str) -> None:
    config = _config(fake, m("small", provider, "tiny-ctx"), m("big", provider, "ok", 0.01))
    router, sleeps = _router(config)
    result = await router.complete(_request("Tell me everything about the hotel. " * 40))
    assert result.model == "big" and result.fallback_from == "small" and not sleeps  # no retry on the same model
    assert _stats(fake)["tiny-ctx"] == 1
    assert router.breakers.state(next(iter(router._resolved.values()))[1]["small"].id) == "closed"


@pytest.mark.parametrize("provider", ["oa", "an"])
async def test_content_policy_refusal_falls_back(fake: FakeLLMServer, provider: str) -> None:
    config = _config(fake, m("strict", provider, "refuse-all"), m("other", "oa", "ok", 0.01))
    router, _ = _router(config)
    result = await router.complete(_request())
    assert result.model == "other" and result.fallback_from == "strict"
    assert any("content_policy" in e for e in result.extra["errors"])  # type: ignore[union-attr]


@pytest.mark.parametrize("provider", ["oa", "an"])
async def test_streaming(fake: FakeLLMServer, provider: str) -> None:
    router, _ = _router(_config(fake, m("m", provider, "stream-model")))
    chunks = [c async for c in router.stream(_request())]
    final = chunks[-1]
    assert final.done and final.result is not None
    assert "".join(c.delta for c in chunks[:-1]) == final.result.text
    assert final.result.text.startswith("Fake answer from stream-model")
    assert final.result.completion_tokens == len(final.result.text.split()) and final.result.prompt_tokens > 0
    assert len(chunks) > 3


async def test_streaming_falls_back_before_the_first_token(fake: FakeLLMServer) -> None:
    config = _config(fake, m("bad", "an", "always-500"), m("good", "oa", "ok", 0.01))
    router, _ = _router(config, max_retries=0)
    chunks = [c async for c in router.stream(_request())]
    assert chunks[-1].result is not None and chunks[-1].result.model == "good"
    assert chunks[-1].result.fallback_from == "bad"


async def test_circuit_opens_after_consecutive_failures_and_is_skipped(fake: FakeLLMServer) -> None:
    config = _config(fake, m("primary", "oa", "always-500"), m("secondary", "oa", "ok", 0.002))
    router, _ = _router(config, max_retries=0, breaker_failures=3, breaker_open_s=60)
    for _ in range(3):
        assert (await router.complete(_request())).model == "secondary"
    assert _stats(fake)["always-500"] == 3
    health = {h["model"]: h for h in router.health()}
    assert health["primary"]["state"] == "open" and health["primary"]["consecutive_failures"] == 3
    assert health["secondary"]["state"] == "closed" and health["secondary"]["latency_ewma_ms"] is not None
    result = await router.complete(_request())
    assert result.model == "secondary" and result.attempts == 1 and result.fallback_from is None
    assert _stats(fake)["always-500"] == 3  # the open circuit costs nothing
    with pytest.raises(NoModelAvailable):
        await router.complete(LLMRequest(**{**_request().__dict__, "model": "primary"}))


async def test_all_failing_raises_and_local_is_the_last_resort(fake: FakeLLMServer) -> None:
    router, _ = _router(_config(fake, m("dead", "oa", "always-500")), max_retries=0)
    with pytest.raises(AllModelsFailed):
        await router.complete(_request())
    with_local = TenantLLMConfig(credentials=_config(fake).credentials, models=(ModelSpec("dead", "oa", "always-500"),))
    router, _ = _router(with_local, max_retries=0)
    result = await router.complete(_request())
    assert result.model == LOCAL and result.fallback_from == "dead" and result.cost_usd == 0


async def test_latency_policy_prefers_the_faster_deployment(fake: FakeLLMServer) -> None:
    config = _config(fake, m("slow", "oa", "slow-60"), m("fast", "oa", "quick", 0.002))
    router, _ = _router(config)
    for model in ("slow", "fast"):  # measure both once
        await router.complete(LLMRequest(**{**_request().__dict__, "model": model}))
    result = await router.complete(_request(routing="latency"))
    assert result.model == "fast"


async def test_litellm_fallback_provider_reaches_the_long_tail(fake: FakeLLMServer) -> None:
    """Anything we do not speak natively goes through litellm (here its OpenAI-compatible route)."""
    config = TenantLLMConfig(
        credentials={"tail": ProviderCredential("tail", "litellm", "sk-x", fake.openai_base_url, tenant_owned=True)},
        models=(ModelSpec("tail-model", provider="tail", upstream="openai/tail-upstream", tier="standard"),),
    )
    router, _ = _router(config)
    result = await router.complete(_request(allowed_models=("tail-model",)))
    assert result.provider == "tail" and result.text.startswith("Fake answer from tail-upstream")
    assert result.completion_tokens > 0
