"""Budgets: atomic reservations in Redis never let concurrent calls overshoot a hard limit."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from core.cache import get_redis
from core.config import LLMSettings, Settings
from tests.factories import TenantFixture, create_agent, create_tenant
from tools.fake_llm import FakeLLMServer
from va_app.domain.errors import InvalidInput
from va_app.domain.identity.api_keys import create_api_key
from va_app.domain.llm import budgets
from va_app.domain.llm.budgets import BudgetGuard
from va_app.domain.llm.catalog import LOCAL, ModelSpec, ProviderCredential, TenantLLMConfig
from va_app.domain.llm.contracts import Attribution, ChatMessage, LLMRequest, ModelPolicy
from va_app.domain.llm.errors import BudgetExceeded
from va_app.domain.llm.ledger import NANO, Ledger, budget_prefix, period_ids, to_nano
from va_app.domain.llm.router import Router
from va_app.domain.llm.tokens import estimate_messages
from va_app.domain.llm.usage import UsageRecorder, totals

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        httpx.post(f"{server.base_url}/_admin/config", json={"completion_tokens": 10, "latency_ms": 2})
        yield server


@pytest.fixture
def alerts(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    published: list[dict[str, Any]] = []

    async def record(topic: str, tenant_id: str, events: list[dict[str, Any]]) -> None:
        published.extend({"topic": topic, "tenant_id": tenant_id, **e} for e in events)

    monkeypatch.setattr(budgets, "publish_events", record)
    return published


def _router(fake: FakeLLMServer, price: float = 0.01) -> Router:
    config = TenantLLMConfig(
        credentials={"oa": ProviderCredential("oa", "openai", "sk", fake.openai_base_url, tenant_owned=True)},
        models=(
            ModelSpec(
                "priced", provider="oa", upstream="ok", tier="standard", input_per_1k=price, output_per_1k=2 * price
            ),
            ModelSpec(LOCAL, enabled=False),
        ),
    )

    async def loader(_tenant: uuid.UUID) -> TenantLLMConfig:
        return config

    settings = Settings(llm=LLMSettings(max_retries=0, local_last_resort=False))
    return Router(settings=settings, config_loader=loader, budgets=BudgetGuard(), usage=UsageRecorder())


async def _budget(
    tenant: TenantFixture,
    limit: float,
    *,
    period: str = "daily",
    hard: bool = True,
    scope: str = "tenant",
    sid: str | None = None,
) -> budgets.BudgetView:
    owner = tenant.owner()
    return await budgets.create_budget(owner, scope=scope, scope_id=sid, period=period, limit_usd=limit, hard=hard)


def _request(tenant: TenantFixture, *, key_id: str | None = None, agent_id: str | None = None) -> LLMRequest:
    return LLMRequest(
        messages=(ChatMessage("user", "What time is breakfast served?"),),
        policy=ModelPolicy(max_output_tokens=20),
        attribution=Attribution(tenant.tenant_id, agent_id=agent_id, version=3, key_id=key_id, end_user_id="guest-1"),
    )


async def _settled(tenant: TenantFixture, budget_id: str, period: str = "daily") -> tuple[int, int]:
    day, month = period_ids(dt.datetime.now(dt.UTC))
    base = f"{budget_prefix(str(tenant.tenant_id))}{budget_id}:{day if period == 'daily' else month}"
    settled, reserved = await get_redis().hmget(base, "settled", "reserved")
    return int(settled or 0), int(reserved or 0)


async def test_200_concurrent_calls_never_overshoot_a_nearly_exhausted_hard_budget(
    fake: FakeLLMServer, alerts: list[dict[str, Any]]
) -> None:
    tenant = await create_tenant()
    limit = 0.05
    budget = await _budget(tenant, limit)
    guard = BudgetGuard()
    attribution = Attribution(tenant.tenant_id)
    held = await guard.reserve(attribution, 0.046)  # spend most of it first
    assert held is not None
    await guard.settle(held, 0.046)

    router = _router(fake)

    async def one() -> float | None:
        try:
            return (await router.complete(_request(tenant))).cost_usd
        except BudgetExceeded as exc:
            assert exc.retry_after_s > 0
            return None

    outcomes = await asyncio.gather(*(one() for _ in range(200)))
    costs = [c for c in outcomes if c is not None]
    settled, reserved = await _settled(tenant, budget.id)
    assert costs and len(costs) < 200, "some calls must pass and some be refused"
    assert reserved == 0, "every reservation was settled or released"
    assert settled == to_nano(0.046) + sum(to_nano(c) for c in costs)
    assert settled <= to_nano(limit), f"overshoot: {settled / NANO} > {limit}"
    # refusals under contention are conservative (worst cases were held); one by one, the
    # budget is used until what is left is less than one more worst-case call
    while (cost := await one()) is not None:
        costs.append(cost)
    settled, _ = await _settled(tenant, budget.id)
    assert settled == to_nano(0.046) + sum(to_nano(c) for c in costs) <= to_nano(limit)
    priced = (await router.available(tenant.tenant_id))["priced"].model
    worst = priced.cost(estimate_messages(_request(tenant).messages), 20)
    assert to_nano(limit) - settled < to_nano(worst)
    thresholds = sorted(int(a["payload"]["value"]) for a in alerts)
    assert thresholds == [50, 80], "each threshold is announced once per period"


async def test_soft_budget_alerts_but_never_refuses(fake: FakeLLMServer, alerts: list[dict[str, Any]]) -> None:
    tenant = await create_tenant()
    await budgets.create_budget(
        tenant.owner(), scope="tenant", scope_id=None, period="monthly", limit_usd=0.0001, hard=False
    )
    router = _router(fake)
    for _ in range(3):
        await router.complete(_request(tenant))
    assert sorted(int(a["payload"]["value"]) for a in alerts) == [50, 80, 100]
    assert {a["payload"]["name"] for a in alerts} == {"budget.threshold"}
    assert all(a["tenant_id"] == str(tenant.tenant_id) and a["type"] == "analytics.metrics" for a in alerts)


async def test_key_and_agent_budgets_apply_only_to_their_scope(
    fake: FakeLLMServer, alerts: list[dict[str, Any]]
) -> None:
    tenant = await create_tenant()
    key_a = (await create_api_key(tenant.owner(), name="a", role="developer")).key.id
    agent_a = await create_agent(tenant)
    await _budget(tenant, 0, scope="key", sid=str(key_a))
    await _budget(tenant, 0, scope="agent", sid=agent_a, period="monthly")
    router = _router(fake)
    with pytest.raises(BudgetExceeded):
        await router.complete(_request(tenant, key_id=str(key_a)))
    with pytest.raises(BudgetExceeded):
        await router.complete(_request(tenant, agent_id=agent_a))
    assert (await router.complete(_request(tenant, key_id="key-b", agent_id="agent-b"))).cost_usd > 0


async def test_a_budget_names_an_agent_or_key_of_its_own_tenant() -> None:
    tenant, other = await create_tenant(), await create_tenant()
    theirs = await create_agent(other)
    their_key = (await create_api_key(other.owner(), name="b", role="developer")).key.id
    for scope, sid in (("agent", theirs), ("agent", "no-such-agent"), ("key", str(their_key)), ("key", "k")):
        with pytest.raises(InvalidInput):
            await _budget(tenant, 1, scope=scope, sid=sid)
    mine = await create_agent(tenant, slug="by-slug")
    made = await _budget(tenant, 1, scope="agent", sid="by-slug")  # a slug is stored as the agent's id
    assert made.scope_id == mine


async def test_usage_is_attributed_to_every_payer(fake: FakeLLMServer) -> None:
    tenant = await create_tenant()
    router = _router(fake)
    result = await router.complete(_request(tenant, key_id="k1", agent_id="a1"))
    today = (await totals(str(tenant.tenant_id)))["today"]
    assert today["calls"] == 1 and today["cost_usd"] == pytest.approx(result.cost_usd, abs=1e-9)
    by = today["cost_by"]
    assert isinstance(by, dict)
    for dim, ident in (("agent", "a1"), ("key", "k1"), ("user", "guest-1"), ("model", "priced"), ("version", "a1:3")):
        assert by[dim][ident] == pytest.approx(result.cost_usd, abs=1e-9)


async def test_reservations_of_a_dead_process_expire() -> None:
    tenant = await create_tenant()
    budget = await budgets.create_budget(
        tenant.owner(), scope="tenant", scope_id=None, period="daily", limit_usd=1, hard=True
    )
    now = dt.datetime.now(dt.UTC)
    dying = Ledger(reservation_ttl_s=0)
    assert await dying.reserve(str(tenant.tenant_id), None, None, to_nano(0.9), now) is not None  # never settled
    later = now + dt.timedelta(milliseconds=5)
    outcome = await Ledger().reserve(str(tenant.tenant_id), None, None, to_nano(0.9), later)
    assert outcome is not None and not hasattr(outcome, "committed_nano")
    assert (await _settled(tenant, budget.id))[1] == to_nano(0.9)


async def test_rules_are_reloaded_when_redis_lost_them(fake: FakeLLMServer) -> None:
    tenant = await create_tenant()
    await _budget(tenant, 0)
    await get_redis().delete(f"va:llm:{{{tenant.tenant_id}}}:budget_rules")
    with pytest.raises(BudgetExceeded):
        await _router(fake).complete(_request(tenant))
