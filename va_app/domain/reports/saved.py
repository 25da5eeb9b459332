"""Saved report definitions: list, create, delete; and when a schedule runs next.

Saving or deleting needs ``analytics:write`` (analysts and up); listing needs
``analytics:read``. Changes are audited.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from core import db
from models.reports import SavedReport
from models.repositories import reports as repo
from va_app.domain.errors import InvalidInput, NotFound
from va_app.domain.identity.audit import audit
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.reports.definition import ReportDefinition, validate
from va_app.domain.reports.render import check_format

SCHEDULES = ("none", "daily", "weekly")
# Scheduled reports go out at 06:00 UTC (weekly: on Mondays), covering the range before.
DELIVERY_HOUR_UTC = 6


@dataclass(frozen=True)
class SavedReportView:
    id: str
    name: str
    definition: dict[str, Any]
    format: str
    schedule: str
    next_run_at: dt.datetime | None
    last_run_at: dt.datetime | None
    last_status: str
    created_by: str
    created_at: dt.datetime


def next_run(schedule: str, after: dt.datetime) -> dt.datetime | None:
    """The next delivery time strictly after ``after`` (None when not scheduled)."""
    if schedule == "none":
        return None
    base = after.astimezone(dt.UTC).replace(hour=DELIVERY_HOUR_UTC, minute=0, second=0, microsecond=0)
    candidate = base if base > after else base + dt.timedelta(days=1)
    if schedule == "weekly":
        candidate += dt.timedelta(days=(7 - candidate.weekday()) % 7)
    return candidate


def view(row: SavedReport) -> SavedReportView:
    return SavedReportView(
        id=str(row.id),
        name=row.name,
        definition=dict(row.definition),
        format=row.format,
        schedule=row.schedule,
        next_run_at=row.next_run_at,
        last_run_at=row.last_run_at,
        last_status=row.last_status,
        created_by=row.created_by,
        created_at=row.created_at,
    )


async def list_saved(principal: Principal) -> list[SavedReportView]:
    principal.require(Perm.ANALYTICS_READ)
    async with db.session_scope() as session:
        return [view(r) for r in await repo.list_reports(session=session, tenant_id=principal.tenant_id)]


async def save_report(
    principal: Principal, name: str, definition: ReportDefinition, fmt: str = "pdf", schedule: str = "none"
) -> SavedReportView:
    principal.require(Perm.ANALYTICS_WRITE)
    validate(definition)
    check_format(fmt)
    if schedule not in SCHEDULES:
        raise InvalidInput(f"schedule must be one of {', '.join(SCHEDULES)}")
    if not name.strip():
        raise InvalidInput("a saved report needs a name")
    fields = {
        "name": name.strip()[:200],
        "definition": definition.as_dict(),
        "format": fmt,
        "schedule": schedule,
        "next_run_at": next_run(schedule, dt.datetime.now(dt.UTC)),
        "last_status": "",
        "created_by": principal.label,
    }
    async with db.session_scope() as session:
        row = await repo.create_report(session=session, tenant_id=principal.tenant_id, fields=fields)
        result = view(row)
        await audit(session, principal, "report.saved", "saved_report", row.id, after=_jsonable(result))
        return result


async def delete_saved(principal: Principal, report_id: uuid.UUID) -> None:
    principal.require(Perm.ANALYTICS_WRITE)
    async with db.session_scope() as session:
        row = await repo.get_report(session=session, tenant_id=principal.tenant_id, report_id=report_id)
        if row is None:
            raise NotFound("saved report not found")
        before = _jsonable(view(row))
        await repo.delete_report(session=session, tenant_id=principal.tenant_id, report_id=report_id)
        await audit(session, principal, "report.deleted", "saved_report", report_id, before=before)


def _jsonable(item: SavedReportView) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in asdict(item).items()}
