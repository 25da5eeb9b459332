"""Wire schemas of ``/budgets``: per tenant, API key and agent, and what is left of them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from pydantic.dataclasses import dataclass

from va_app.api.schemas.common import Listing, Strict
from va_app.domain.llm.budgets import BudgetUsage, BudgetView


class BudgetCreate(Strict):
    scope: Literal["tenant", "key", "agent"] = "tenant"
    scope_id: str | None = Field(default=None, max_length=64, description="API key id or agent id")
    period: Literal["daily", "monthly"] = "monthly"
    limit_usd: float = Field(ge=0, le=10_000_000)
    hard: bool = Field(default=True, description="hard: refuse calls that would exceed it; soft: alert only")


@dataclass(frozen=True)
class BudgetPublic(BudgetView):
    pass


class BudgetsPublic(Listing[BudgetPublic]):
    pass


@dataclass(frozen=True)
class BudgetUsagePublic(BudgetUsage):
    budget: BudgetPublic


class BudgetsUsagePublic(BaseModel):
    data: list[BudgetUsagePublic]
    totals: dict[str, dict[str, object]] = Field(description="today/month: calls, tokens, cost and cost by dimension")
