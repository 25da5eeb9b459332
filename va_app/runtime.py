"""What each web worker opens at start and closes at stop.

Runs inside the worker (Reflex lifespan), never at import time: Reflex imports the app in
a supervisor process and forks workers from it, and pools or the chDB session must not
cross that fork.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from analytics.schema import apply_schema
from core import cache, clickhouse, db
from core.config import get_settings
from core.logs import configure_logging
from ingest.consumer import IngestWorker
from va_app.agents import controller as rollout_controller
from va_app.alerts.evaluator import run_alert_evaluator
from va_app.events.publisher import close_shared_bus
from va_app.integrations import lifecycle as integrations
from va_app.platform import draining
from va_app.reports.scheduler import run_report_scheduler

log = logging.getLogger(__name__)


_worker: IngestWorker | None = None
_worker_task: asyncio.Task[None] | None = None
_rollout_stop: asyncio.Event | None = None
_rollout_task: asyncio.Task[None] | None = None
_alerts_stop: asyncio.Event | None = None
_alerts_task: asyncio.Task[None] | None = None
_reports_stop: asyncio.Event | None = None
_reports_task: asyncio.Task[None] | None = None


async def startup() -> None:
    global _worker, _worker_task
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    draining.reset()  # a restarted worker serves again, even if its pod's drain marker survived
    await asyncio.to_thread(apply_schema)
    if settings.ingest.embedded_worker:
        # The embedded default: this process owns chDB, so it also runs the ingest worker.
        _worker = IngestWorker(settings, name=settings.ingest.worker_name or "embedded")
        await _worker.start()
        _worker_task = asyncio.create_task(_worker.run(), name="ingest-worker")
    global _rollout_stop, _rollout_task
    # Every web replica ticks; rows are locked with SKIP LOCKED, so a rollout is judged once per tick.
    _rollout_stop = asyncio.Event()
    _rollout_task = asyncio.create_task(rollout_controller.run_periodically(_rollout_stop), name="rollout-controller")
    global _alerts_stop, _alerts_task
    # Every replica ticks; a per-tenant advisory lock makes one of them evaluate each tenant.
    _alerts_stop = asyncio.Event()
    _alerts_task = asyncio.create_task(run_alert_evaluator(_alerts_stop), name="alert-evaluator")
    global _reports_stop, _reports_task
    # Every replica ticks; due saved reports are claimed with SKIP LOCKED, so each run is delivered once.
    _reports_stop = asyncio.Event()
    _reports_task = asyncio.create_task(run_report_scheduler(_reports_stop), name="report-scheduler")
    await integrations.start()  # inbound channel worker, handoff tickets, outbound webhook fan-out + delivery
    log.info(
        "web worker started",
        extra={"environment": settings.environment, "bus": settings.bus_backend},
    )


async def shutdown() -> None:
    """Finish the ingest batch in hand, then close every connection."""
    global _worker, _worker_task, _rollout_stop, _rollout_task
    global _alerts_stop, _alerts_task
    if _alerts_stop is not None and _alerts_task is not None:
        _alerts_stop.set()
        try:
            await asyncio.wait_for(_alerts_task, 10)
        except TimeoutError:
            _alerts_task.cancel()
        _alerts_stop = _alerts_task = None
    global _reports_stop, _reports_task
    if _reports_stop is not None and _reports_task is not None:
        _reports_stop.set()
        try:
            await asyncio.wait_for(_reports_task, 10)
        except TimeoutError:
            _reports_task.cancel()
        _reports_stop = _reports_task = None
    draining.begin()  # /readyz answers 503 "draining" from now on
    await integrations.stop()
    if _rollout_stop is not None and _rollout_task is not None:
        _rollout_stop.set()
        try:
            await asyncio.wait_for(_rollout_task, 10)
        except TimeoutError:
            _rollout_task.cancel()
        _rollout_stop = _rollout_task = None
    if _worker is not None and _worker_task is not None:
        await _worker.stop()
        try:
            await asyncio.wait_for(_worker_task, 30)
        except TimeoutError:
            _worker_task.cancel()
        await _worker.close()
        _worker = _worker_task = None
    await close_shared_bus()
    await cache.close()
    await db.dispose()
    await asyncio.to_thread(clickhouse.close)


@asynccontextmanager
async def lifespan() -> AsyncIterator[None]:
    await startup()
    try:
        yield
    finally:
        await shutdown()
