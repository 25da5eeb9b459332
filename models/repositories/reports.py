"""Saved reports; every query is scoped by tenant, except the scheduler's claim of due rows."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.reports import SavedReport


async def list_reports(*, session: AsyncSession, tenant_id: uuid.UUID) -> list[SavedReport]:
    stmt = select(SavedReport).where(SavedReport.tenant_id == tenant_id).order_by(SavedReport.created_at)
    return list((await session.execute(stmt)).scalars())


async def get_report(*, session: AsyncSession, tenant_id: uuid.UUID, report_id: uuid.UUID) -> SavedReport | None:
    stmt = select(SavedReport).where(SavedReport.tenant_id == tenant_id, SavedReport.id == report_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def create_report(*, session: AsyncSession, tenant_id: uuid.UUID, fields: dict[str, Any]) -> SavedReport:
    report = SavedReport(tenant_id=tenant_id, **fields)
    session.add(report)
    await session.flush()
    return report


async def delete_report(*, session: AsyncSession, tenant_id: uuid.UUID, report_id: uuid.UUID) -> bool:
    report = await get_report(session=session, tenant_id=tenant_id, report_id=report_id)
    if report is None:
        return False
    await session.delete(report)
    await session.flush()
    return True


async def claim_due(*, session: AsyncSession, now: dt.datetime, limit: int = 20) -> list[SavedReport]:
    """Due scheduled reports of every tenant, locked for this transaction (others skip them)."""
    stmt = (
        select(SavedReport)
        .where(SavedReport.next_run_at.is_not(None), SavedReport.next_run_at <= now)
        .order_by(SavedReport.next_run_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(stmt)).scalars())
