"""The scheduled-report loop: render due saved reports and hand them to the delivery hook.

Started from the web worker's lifespan (``va_app.runtime``). Every replica ticks; due rows
are claimed with ``FOR UPDATE SKIP LOCKED`` and moved to their next run in the same
transaction, so each run is delivered once even with several replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from core import clickhouse, db
from models.repositories import reports as repo
from va_app.domain.reports.definition import ReportDefinition, metric_query
from va_app.domain.reports.delivery import ReportDelivery, deliver
from va_app.domain.reports.render import render_sync
from va_app.domain.reports.saved import next_run

log = logging.getLogger(__name__)
DEFAULT_INTERVAL_S = 60.0


async def run_due(now: dt.datetime | None = None) -> int:
    """Render and deliver every due report once; returns how many were delivered."""
    moment = now or dt.datetime.now(dt.UTC)
    delivered = 0
    async with db.session_scope() as session:
        for row in await repo.claim_due(session=session, now=moment):
            row.last_run_at = moment
            row.next_run_at = next_run(row.schedule, moment)
            try:
                definition = ReportDefinition.from_dict(row.definition)
                query = metric_query(str(row.tenant_id), definition, moment)
                report = await clickhouse.run(render_sync, query, definition, row.format)
                await deliver(ReportDelivery(str(row.tenant_id), str(row.id), row.name, row.schedule, report))
                row.last_status = f"delivered {report.filename} ({len(report.content)} bytes)"
                delivered += 1
            except Exception as exc:  # one broken definition must not stop the others
                log.exception("scheduled report failed", extra={"report_id": str(row.id)})
                row.last_status = f"failed: {type(exc).__name__}: {exc}"[:500]
    return delivered


async def run_report_scheduler(stop_event: asyncio.Event, interval_s: float = DEFAULT_INTERVAL_S) -> None:
    """Tick until ``stop_event`` is set."""
    while not stop_event.is_set():
        try:
            await run_due()
        except Exception:
            log.exception("report scheduler tick failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop_event.wait(), interval_s)
