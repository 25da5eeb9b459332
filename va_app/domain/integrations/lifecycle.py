"""Start and stop the hub's background loops inside a web worker (``va_app.runtime``).

Each loop is a bus consumer in the hub's own groups (or the delivery poller), so every web
replica shares the work; the alert notifiers turn alert transitions into webhooks, Slack
messages and e-mails (``va_app.domain.notifications.alert_notifiers``), and scheduled reports go out by e-mail and
webhook (``va_app.domain.notifications.report_delivery``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from va_app.domain.alerts.notify import register_notifier
from va_app.domain.integrations import delivery, http, outbound, worker
from va_app.domain.notifications import alert_notifiers as alert_channels
from va_app.domain.notifications import report_delivery as report_channels
from va_app.domain.reports.delivery import register_delivery

log = logging.getLogger(__name__)
_stop: asyncio.Event | None = None
_tasks: list[asyncio.Task[None]] = []
_unregister: Callable[[], None] | None = None
_unregister_more: list[Callable[[], None]] = []


async def start() -> None:
    global _stop, _unregister
    _stop = asyncio.Event()
    _tasks[:] = [
        asyncio.create_task(worker.run(_stop), name="integrations-inbound"),
        asyncio.create_task(outbound.run_fanout(_stop), name="webhooks-fanout"),
        asyncio.create_task(delivery.run(_stop), name="webhooks-delivery"),
    ]
    _unregister = register_notifier(outbound.alert_notifier)
    _unregister_more[:] = [
        register_notifier(alert_channels.slack_notifier),
        register_notifier(alert_channels.email_notifier),
        register_delivery(report_channels.hub_delivery),
    ]


async def stop() -> None:
    global _stop, _unregister
    if _unregister is not None:
        _unregister()
        _unregister = None
    for undo in _unregister_more:
        undo()
    _unregister_more.clear()
    if _stop is None:
        return
    _stop.set()
    for task in _tasks:
        try:
            await asyncio.wait_for(task, 10)
        except TimeoutError:
            task.cancel()
        except Exception:
            log.exception("integration loop ended with an error", extra={"task": task.get_name()})
    _tasks.clear()
    _stop = None
    with contextlib.suppress(Exception):
        await http.close()
