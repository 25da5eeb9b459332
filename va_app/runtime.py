"""The one place that wires the product together, and what each web worker opens and closes.

:func:`wire_domain` plugs the domain's extension points (:mod:`va_app.domain.hooks`) into
their implementations: capabilities that must not import each other (agents and
conversations, alerts and integrations, reports and notifications) meet only here. It is
pure (no I/O) and idempotent: the app module, the CLI and the test fixtures call it.

Runs inside the worker (Reflex lifespan), never at import time: Reflex imports the app in
a supervisor process and forks workers from it, and pools or the chDB session must not
cross that fork.

Background loops (rollout controller, alert evaluator, report scheduler) run in every web
replica; each one claims its work with database locks (``SKIP LOCKED`` or advisory locks),
so a replica more or less never changes what gets done, only who does it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from analytics.schema import apply_schema
from core import cache, clickhouse, db
from core.config import get_settings
from core.logs import configure_logging
from ingest.consumer import IngestWorker
from va_app.domain.agents import controller as rollout_controller
from va_app.domain.agents import health as agent_health
from va_app.domain.agents import notify as agent_notify
from va_app.domain.agents import templates as agent_templates
from va_app.domain.alerts import notify as alert_notify
from va_app.domain.alerts.evaluator import run_alert_evaluator
from va_app.domain.conversations import cache as answer_cache
from va_app.domain.conversations import events as turn_events
from va_app.domain.conversations import probe as chat_probe
from va_app.domain.ingestion.publisher import close_shared_bus
from va_app.domain.integrations import delivery as webhook_delivery
from va_app.domain.integrations import http as provider_http
from va_app.domain.integrations import outbound, worker
from va_app.domain.knowledge import cloning as knowledge_cloning
from va_app.domain.notifications import alert_notifiers, report_delivery
from va_app.domain.reports import delivery as report_deliveries
from va_app.domain.reports.scheduler import run_report_scheduler
from va_app.domain.status import draining

log = logging.getLogger(__name__)

LoopFactory = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def wire_domain() -> None:
    """Plug every in-process extension point (idempotent; no I/O)."""
    agent_notify.serving_changed.register(answer_cache.invalidate_agent)  # a deploy/rollback forgets answers
    agent_health.synthetic_chat.set(chat_probe.synthetic_chat)  # GET /agents/{id}/health runs a real turn
    agent_templates.knowledge_cloner.set(knowledge_cloning.clone_knowledge_bases)  # cross-tenant clones


class IntegrationHub:
    """The hub's loops inside a web worker, and the notifiers that exist while it runs.

    Each loop is a bus consumer in the hub's own groups (or the delivery poller), so every web
    replica shares the work. While the hub runs, alert transitions become webhooks, Slack
    messages and e-mails, and scheduled reports go out by e-mail and webhook.
    """

    def __init__(self) -> None:
        self._stop: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._unregister: list[Callable[[], None]] = []

    async def start(self) -> None:
        self._stop = asyncio.Event()
        self._tasks = [
            asyncio.create_task(worker.run(self._stop), name="integrations-inbound"),
            asyncio.create_task(outbound.run_fanout(self._stop), name="webhooks-fanout"),
            asyncio.create_task(webhook_delivery.run(self._stop), name="webhooks-delivery"),
        ]
        self._unregister = [
            alert_notify.notifiers.register(outbound.alert_notifier),
            alert_notify.notifiers.register(alert_notifiers.slack_notifier),
            alert_notify.notifiers.register(alert_notifiers.email_notifier),
            report_deliveries.deliveries.register(report_delivery.hub_delivery),
        ]

    async def stop(self) -> None:
        for undo in self._unregister:
            undo()
        self._unregister = []
        if self._stop is None:
            return
        self._stop.set()
        for task in self._tasks:
            try:
                await asyncio.wait_for(task, 10)
            except TimeoutError:
                task.cancel()
            except Exception:
                log.exception("integration loop ended with an error", extra={"task": task.get_name()})
        self._tasks = []
        self._stop = None
        with contextlib.suppress(Exception):
            await provider_http.close()


integration_hub = IntegrationHub()


def _alert_evaluator(stop: asyncio.Event) -> Coroutine[Any, Any, None]:
    return run_alert_evaluator(stop, get_settings().alerts.interval_s)


LOOPS: tuple[tuple[str, LoopFactory], ...] = (
    ("rollout-controller", rollout_controller.run_periodically),
    ("alert-evaluator", _alert_evaluator),  # every ALERTS__INTERVAL_S (default 60 s)
    ("report-scheduler", run_report_scheduler),
)


@dataclass
class _Loop:
    name: str
    stop: asyncio.Event
    task: asyncio.Task[None]

    async def finish(self, timeout_s: float = 10) -> None:
        self.stop.set()
        try:
            await asyncio.wait_for(self.task, timeout_s)
        except TimeoutError:
            self.task.cancel()
        except Exception:  # a loop that died is reported, not re-raised during shutdown
            log.exception("background loop failed", extra={"loop": self.name})


_loops: list[_Loop] = []
_worker: IngestWorker | None = None
_worker_task: asyncio.Task[None] | None = None


async def startup() -> None:
    global _worker, _worker_task
    settings = get_settings()
    wire_domain()
    configure_logging(settings.log_level, settings.log_json)
    draining.reset()  # a restarted worker serves again, even if its pod's drain marker survived
    await asyncio.to_thread(apply_schema)
    if settings.ingest.embedded_worker:
        # The embedded default: this process owns chDB, so it also runs the ingest worker.
        _worker = IngestWorker(settings, name=settings.ingest.worker_name or "embedded")
        await _worker.start()
        _worker_task = asyncio.create_task(_worker.run(), name="ingest-worker")
    for name, factory in LOOPS:
        stop = asyncio.Event()
        _loops.append(_Loop(name, stop, asyncio.create_task(factory(stop), name=name)))
    await integration_hub.start()  # inbound channel worker, handoff tickets, outbound webhook fan-out + delivery
    log.info("web worker started", extra={"environment": settings.environment, "bus": settings.bus_backend})


async def shutdown() -> None:
    """Stop taking work, finish what is in hand (ingest batch, turn events), close connections."""
    global _worker, _worker_task
    draining.begin()  # /readyz answers 503 "draining" from now on
    for loop in reversed(_loops):
        await loop.finish()
    _loops.clear()
    await integration_hub.stop()
    await turn_events.flush()  # turn events still in the micro-batcher reach the bus
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
