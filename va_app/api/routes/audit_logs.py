"""The audit trail: filter, page, export. There is no write route."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from va_app.api.deps import PrincipalDep
from va_app.api.schemas.audit import AuditLogPublic, AuditLogsPublic
from va_app.domain.identity.audit import AuditFilter, export_audit_csv, list_audit

router = APIRouter(prefix="/audit-logs", tags=["audit"])


def _filters(
    action: Annotated[str | None, Query(max_length=100, description="prefix, e.g. 'api_key.'")] = None,
    actor_id: Annotated[str | None, Query(max_length=64)] = None,
    target_type: Annotated[str | None, Query(max_length=50)] = None,
    target_id: Annotated[str | None, Query(max_length=64)] = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> AuditFilter:
    return AuditFilter(action, actor_id, target_type, target_id, since, until)


@router.get("", response_model=AuditLogsPublic, summary="Audit entries, newest first")
async def list_entries(
    principal: PrincipalDep,
    action: Annotated[str | None, Query(max_length=100, description="prefix, e.g. 'api_key.'")] = None,
    actor_id: Annotated[str | None, Query(max_length=64)] = None,
    target_type: Annotated[str | None, Query(max_length=50)] = None,
    target_id: Annotated[str | None, Query(max_length=64)] = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> AuditLogsPublic:
    filters = _filters(action, actor_id, target_type, target_id, since, until)
    rows, next_cursor = await list_audit(principal, filters, limit=limit, cursor=cursor)
    return AuditLogsPublic(data=[AuditLogPublic(**r) for r in rows], count=len(rows), next_cursor=next_cursor)


@router.get("/export.csv", summary="Audit entries as CSV", response_class=StreamingResponse)
async def export_csv(
    principal: PrincipalDep,
    action: Annotated[str | None, Query(max_length=100)] = None,
    actor_id: Annotated[str | None, Query(max_length=64)] = None,
    target_type: Annotated[str | None, Query(max_length=50)] = None,
    target_id: Annotated[str | None, Query(max_length=64)] = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> StreamingResponse:
    filters = _filters(action, actor_id, target_type, target_id, since, until)
    stream = export_audit_csv(principal, filters)
    first = await anext(stream)  # raises permission errors before the 200 is sent

    async def body():  # type: ignore[no-untyped-def]
        yield first
        async for chunk in stream:
            yield chunk

    return StreamingResponse(
        body(), media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'}
    )
