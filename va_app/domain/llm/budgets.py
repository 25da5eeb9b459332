"""Budgets per tenant, API key and agent (daily or monthly, hard or soft).

Limits live in PostgreSQL (``budgets``) and are mirrored into Redis, where the router
reserves each call's cost bound *before* calling a provider (see ``ledger.py``; the bound is
the prompt plus the output cap of the model about to be called, so the real cost never
exceeds it), settles it to the real cost afterwards and so releases the rest at once. A hard
budget refuses the call with :class:`BudgetExceeded` (429, ``Retry-After`` until the period
resets) when even the settled spend leaves no room for it; when only other calls' open
reservations are in the way, the call waits up to ``llm.budget_wait_s`` for them to settle
first, so a burst of concurrent calls spends the budget instead of being refused against
bounds that are mostly released a moment later. A soft budget lets every call through and
only alerts. Alerts at 50/80/100 % are published
once per threshold and period as ``analytics.metrics`` events named ``budget.threshold``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

from core import db
from core.cache import get_redis
from core.config import get_settings
from core.events import validate_event
from core.metrics import BUDGET_REJECTIONS
from models.repositories import agents as agents_repo
from models.repositories import api_keys as keys_repo
from models.repositories import budgets as repo
from va_app.domain.errors import Conflict, InvalidInput, NotFound
from va_app.domain.identity.audit import audit
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.ingestion.publisher import publish_events
from va_app.domain.llm.contracts import Attribution
from va_app.domain.llm.errors import BudgetExceeded
from va_app.domain.llm.ledger import (
    NANO,
    Crossing,
    Ledger,
    Refusal,
    Reservation,
    RulesMissing,
    budget_prefix,
    period_end,
    period_ids,
    rules_key,
    to_nano,
)

log = logging.getLogger(__name__)
SCOPES = ("tenant", "key", "agent")
PERIODS = ("daily", "monthly")


@dataclass(frozen=True)
class BudgetView:
    id: str
    scope: str
    scope_id: str | None
    period: str
    limit_usd: float
    hard: bool
    created_at: dt.datetime


@dataclass(frozen=True)
class BudgetUsage:
    budget: BudgetView
    period_id: str
    spent_usd: float
    reserved_usd: float
    remaining_usd: float
    percent: float
    resets_at: dt.datetime


def _view(b: Any) -> BudgetView:
    return BudgetView(str(b.id), b.scope, b.scope_id, b.period, float(b.limit_usd), bool(b.hard), b.created_at)


def _encode(b: BudgetView) -> str:
    return f"{b.scope}|{b.scope_id or ''}|{b.period}|{to_nano(b.limit_usd)}|{1 if b.hard else 0}"


async def sync_rules(tenant_id: uuid.UUID) -> list[BudgetView]:
    """Mirror the tenant's limits into Redis (after every change, and when Redis lost them)."""
    async with db.session_scope() as session:
        views = [_view(b) for b in await repo.list_budgets(session=session, tenant_id=tenant_id)]
    key = rules_key(str(tenant_id))
    async with get_redis().pipeline(transaction=True) as pipe:
        pipe.delete(key)
        pipe.hset(key, mapping={"_loaded": "1", **{v.id: _encode(v) for v in views}})
        await pipe.execute()
    return views


async def list_budgets(principal: Principal) -> list[BudgetView]:
    principal.require(Perm.BUDGETS_READ)
    async with db.session_scope() as session:
        return [_view(b) for b in await repo.list_budgets(session=session, tenant_id=principal.tenant_id)]


async def create_budget(
    principal: Principal, *, scope: str, scope_id: str | None, period: str, limit_usd: float, hard: bool
) -> BudgetView:
    principal.require(Perm.BUDGETS_WRITE)
    if scope not in SCOPES:
        raise InvalidInput(f"scope must be one of {', '.join(SCOPES)}")
    if period not in PERIODS:
        raise InvalidInput(f"period must be one of {', '.join(PERIODS)}")
    if scope == "tenant":
        scope_id = None
    elif not scope_id:
        raise InvalidInput(f"a '{scope}' budget needs scope_id (the {scope}'s id)")
    if not 0 <= limit_usd <= 10_000_000:
        raise InvalidInput("limit_usd must be between 0 and 10 000 000")
    async with db.session_scope() as session:
        tid = principal.tenant_id
        if scope_id is not None:
            scope_id = await _own_target(session, tid, scope, scope_id)
        if await repo.find_budget(session=session, tenant_id=tid, scope=scope, scope_id=scope_id, period=period):
            raise Conflict(f"a {period} budget for this {scope} already exists; delete it first")
        budget = await repo.create_budget(
            session=session,
            tenant_id=tid,
            scope=scope,
            scope_id=scope_id,
            period=period,
            limit_usd=limit_usd,
            hard=hard,
        )
        view = _view(budget)
        await audit(session, principal, "budget.create", "budget", view.id, after=_audit_fields(view))
    await sync_rules(principal.tenant_id)
    return view


async def _own_target(session: Any, tenant_id: uuid.UUID, scope: str, scope_id: str) -> str:
    """The id of the tenant's own agent (id or slug given) or API key the budget is for.

    A budget naming anything else would be accepted and never apply, which looks like a
    limit that holds until the bill arrives; refuse it instead.
    """
    if scope == "agent":
        agent = None
        try:
            agent = await agents_repo.get_agent(session=session, tenant_id=tenant_id, agent_id=uuid.UUID(scope_id))
        except ValueError:
            agent = await agents_repo.get_agent_by_slug(session=session, tenant_id=tenant_id, slug=scope_id)
        if agent is None:
            raise InvalidInput(f"scope_id: this tenant has no agent '{scope_id}'")
        return str(agent.id)
    try:
        key = await keys_repo.get_key(session=session, tenant_id=tenant_id, key_id=uuid.UUID(scope_id))
    except ValueError:
        key = None
    if key is None:
        raise InvalidInput(f"scope_id: this tenant has no API key '{scope_id}'")
    return str(key.id)


async def delete_budget(principal: Principal, budget_id: uuid.UUID) -> None:
    principal.require(Perm.BUDGETS_WRITE)
    async with db.session_scope() as session:
        budget = await repo.get_budget(session=session, tenant_id=principal.tenant_id, budget_id=budget_id)
        if budget is None:
            raise NotFound("budget not found")
        before = _audit_fields(_view(budget))
        await repo.delete_budget(session=session, tenant_id=principal.tenant_id, budget_id=budget_id)
        await audit(session, principal, "budget.delete", "budget", str(budget_id), before=before)
    await sync_rules(principal.tenant_id)


def _audit_fields(v: BudgetView) -> dict[str, Any]:
    return {"scope": v.scope, "scope_id": v.scope_id, "period": v.period, "limit_usd": v.limit_usd, "hard": v.hard}


async def usage(principal: Principal, now: dt.datetime | None = None) -> list[BudgetUsage]:
    """Spend, open reservations and what remains of every budget in its current period."""
    principal.require(Perm.BUDGETS_READ)
    now = now or dt.datetime.now(dt.UTC)
    views = await list_budgets(principal)
    day, month = period_ids(now)
    prefix = budget_prefix(str(principal.tenant_id))
    async with get_redis().pipeline(transaction=False) as pipe:
        for v in views:
            pipe.hmget(f"{prefix}{v.id}:{day if v.period == 'daily' else month}", ["settled", "reserved"])
        rows = await pipe.execute()
    out = []
    for v, (settled, reserved) in zip(views, rows, strict=True):
        spent = int(settled or 0) / NANO
        held = max(int(reserved or 0), 0) / NANO
        out.append(
            BudgetUsage(
                budget=v,
                period_id=day if v.period == "daily" else month,
                spent_usd=round(spent, 9),
                reserved_usd=round(held, 9),
                remaining_usd=round(max(v.limit_usd - spent - held, 0.0), 9),
                percent=round(100 * spent / v.limit_usd, 3) if v.limit_usd else 100.0,
                resets_at=period_end(v.period, now),
            )
        )
    return out


class BudgetGuard:
    """What the router calls: reserve before the provider call, settle after it."""

    def __init__(self, ledger: Ledger | None = None, wait_s: float | None = None) -> None:
        llm = get_settings().llm
        self.ledger = ledger or Ledger(llm.reservation_ttl_s)
        self.wait_s = llm.budget_wait_s if wait_s is None else wait_s

    async def _reserve_once(self, attribution: Attribution, amount: int) -> Reservation | Refusal | None:
        tenant = str(attribution.tenant_id)
        now = dt.datetime.now(dt.UTC)
        try:
            return await self.ledger.reserve(tenant, attribution.key_id, attribution.agent_id, amount, now)
        except RulesMissing:
            await sync_rules(attribution.tenant_id)
            return await self.ledger.reserve(tenant, attribution.key_id, attribution.agent_id, amount, now)

    async def reserve(self, attribution: Attribution, worst_case_usd: float) -> Reservation | None:
        """Hold ``worst_case_usd`` (the call's cost bound) on every budget that applies.

        A refusal caused only by other calls' open reservations is retried (jittered backoff,
        10 ms up to 200 ms) until they settle or ``wait_s`` passes; a refusal the settled spend
        alone explains is final at once.
        """
        amount = to_nano(worst_case_usd)
        deadline = time.monotonic() + self.wait_s
        delay = 0.01
        outcome = await self._reserve_once(attribution, amount)
        while isinstance(outcome, Refusal) and outcome.contended and time.monotonic() + delay < deadline:
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, 0.2)
            outcome = await self._reserve_once(attribution, amount)
        now = dt.datetime.now(dt.UTC)
        if isinstance(outcome, Refusal):
            BUDGET_REJECTIONS.labels(outcome.period).inc()
            resets = period_end(outcome.period, now)
            raise BudgetExceeded(
                f"the {outcome.period} budget ({outcome.limit_nano / NANO:.4f} USD) would be exceeded by this call "
                f"(committed {outcome.committed_nano / NANO:.6f} USD, worst case {worst_case_usd:.6f} USD); "
                f"it resets at {resets.isoformat()}",
                retry_after_s=max(1, int((resets - now).total_seconds())),
            )
        return outcome

    async def settle(self, reservation: Reservation, actual_usd: float) -> None:
        crossings = await self.ledger.settle(reservation, to_nano(actual_usd))
        if crossings:
            await publish_alerts(reservation.tenant_id, crossings)

    async def release(self, reservation: Reservation) -> None:
        await self.ledger.settle(reservation, 0)


async def publish_alerts(tenant_id: str, crossings: list[Crossing]) -> None:
    """One ``analytics.metrics`` event per crossed threshold; analytics must not break a call."""
    events = [
        validate_event(
            {
                "type": "analytics.metrics",
                "source": "llm.budgets",
                "payload": {
                    "name": "budget.threshold",
                    "value": float(c.threshold),
                    "unit": "percent",
                    "dimensions": {
                        "budget_id": c.budget_id,
                        "period_id": c.period_id,
                        "threshold": str(c.threshold),
                        "spent_usd": f"{c.settled_nano / NANO:.6f}",
                        "limit_usd": f"{c.limit_nano / NANO:.6f}",
                    },
                },
            },
            tenant_id,
            fresh_id=True,
        ).model_dump()
        for c in crossings
    ]
    try:
        await publish_events("analytics.metrics", tenant_id, events)
    except Exception:
        log.exception("could not publish budget alerts", extra={"tenant_id": tenant_id, "count": len(events)})
