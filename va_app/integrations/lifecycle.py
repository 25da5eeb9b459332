"""Start and stop the hub's background loops inside a web worker (``va_app.runtime``).

Each loop is a bus consumer in the hub's own groups (or the delivery poller), so every web
replica shares the work; the alert notifier turns alert transitions into webhooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from va_app.alerts.notify import register_notifier
from va_app.integrations import delivery, http, outbound, worker

log = logging.getLogger(__name__)
_stop: asyncio.Event | None = None
_tasks: list[asyncio.Task[None]] = []
_unregister: Callable[[], None] | None = None


async def start() -> None:
    global _stop, _unregister
    _stop = asyncio.Event()
    _tasks[:] = [
        asyncio.create_task(worker.run(_stop), name="integrations-inbound"),
        asyncio.create_task(outbound.run_fanout(_stop), name="webhooks-fanout"),
        asyncio.create_task(delivery.run(_stop), name="webhooks-delivery"),
    ]
    _unregister = register_notifier(outbound.alert_notifier)


async def stop() -> None:
    global _stop, _unregister
    if _unregister is not None:
        _unregister()
        _unregister = None
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
