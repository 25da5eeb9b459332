"""Event pipeline health: backlog, ingest rate, dead letters (the tenant's own)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from va_app.api.deps import PrincipalDep
from va_app.domain.status.pipeline import list_dead_letters, pipeline_status

router = APIRouter(prefix="/analytics", tags=["analytics"])


@router.get("/pipeline", summary="Ingest backlog, rate and dead-letter reasons")
async def get_pipeline(principal: PrincipalDep) -> dict[str, Any]:
    return await pipeline_status(principal)


@router.get("/dead-letters", summary="Events that could not be stored, newest first, with the reason")
async def get_dead_letters(
    principal: PrincipalDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    rows = await list_dead_letters(principal, limit)
    return {"data": rows, "count": len(rows)}
