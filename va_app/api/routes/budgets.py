"""Budgets per tenant, API key and agent, and what is left of them."""

from __future__ import annotations

import uuid
from dataclasses import asdict

from fastapi import APIRouter, Response

from va_app.api.deps import PrincipalDep
from va_app.api.schemas.budgets import (
    BudgetCreate,
    BudgetPublic,
    BudgetsPublic,
    BudgetsUsagePublic,
    BudgetUsagePublic,
)
from va_app.domain.llm import budgets, usage

router = APIRouter(prefix="/budgets", tags=["budgets"])


@router.get("", response_model=BudgetsPublic, summary="Budgets of this tenant")
async def list_budgets(principal: PrincipalDep) -> BudgetsPublic:
    views = await budgets.list_budgets(principal)
    return BudgetsPublic(data=[BudgetPublic(**asdict(v)) for v in views], count=len(views))


@router.post("", status_code=201, response_model=BudgetPublic, summary="Create a daily or monthly budget")
async def create_budget(body: BudgetCreate, principal: PrincipalDep) -> BudgetPublic:
    view = await budgets.create_budget(principal, **body.model_dump())
    return BudgetPublic(**asdict(view))


@router.get("/usage", response_model=BudgetsUsagePublic, summary="Spend and remaining per budget; usage totals")
async def budget_usage(principal: PrincipalDep) -> BudgetsUsagePublic:
    rows = await budgets.usage(principal)
    totals = await usage.totals(str(principal.tenant_id))
    return BudgetsUsagePublic(data=[BudgetUsagePublic(**asdict(r)) for r in rows], totals=totals)


@router.delete("/{budget_id}", status_code=204, summary="Delete a budget")
async def delete_budget(budget_id: uuid.UUID, principal: PrincipalDep) -> Response:
    await budgets.delete_budget(principal, budget_id)
    return Response(status_code=204)
