"""The process-wide bus producer, and a micro-batcher for the hot path.

The chat runtime emits one event per turn; publishing each as its own bus message would
cost a round trip per turn. :class:`EventBatcher` collects events for a few milliseconds and
publishes one message per topic, so the request path only appends to a list.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson

from core.bus import EventBus, get_bus
from core.metrics import EVENTS_PUBLISHED
from core.tracing import current_traceparent

log = logging.getLogger(__name__)

_buses: dict[int, EventBus] = {}


def shared_bus() -> EventBus:
    """One producer per process and event loop (connections cannot cross loops)."""
    loop_id = id(asyncio.get_running_loop())
    bus = _buses.get(loop_id)
    if bus is None:
        bus = _buses[loop_id] = get_bus()
    return bus


async def close_shared_bus() -> None:
    for bus in list(_buses.values()):
        with contextlib.suppress(Exception):
            await bus.close()
    _buses.clear()


def encode_batch(events: list[dict[str, Any]], traceparent: str | None = None) -> bytes:
    """``fmt: va`` marks events validated by our schemas: the worker may take its fast path.

    ``traceparent`` (W3C, last key so the worker finds it with one ``rfind``) lets the ingest
    span link to the producing request; it is omitted when tracing is off.
    """
    if traceparent:
        return orjson.dumps({"v": 1, "fmt": "va", "events": events, "traceparent": traceparent})
    return orjson.dumps({"v": 1, "fmt": "va", "events": events})


async def publish_events(
    topic: str, tenant_id: str, events: list[dict[str, Any]], traceparent: str | None = None
) -> None:
    """One bus message carrying ``events`` (all of one tenant and type), keyed by tenant."""
    if not events:
        return
    await shared_bus().publish(topic, tenant_id, encode_batch(events, traceparent or current_traceparent()))
    EVENTS_PUBLISHED.labels(topic).inc(len(events))


class EventBatcher:
    """Collect events per (topic, tenant) and flush every ``interval_s`` or ``max_events``."""

    def __init__(self, interval_s: float = 0.05, max_events: int = 1000) -> None:
        self.interval_s = interval_s
        self.max_events = max_events
        self._pending: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._traceparents: dict[tuple[str, str], str] = {}  # first emitter's context per batch
        self._size = 0
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def emit(self, topic: str, tenant_id: str, event: dict[str, Any]) -> None:
        self._pending.setdefault((topic, tenant_id), []).append(event)
        traceparent = current_traceparent()
        if traceparent:
            self._traceparents.setdefault((topic, tenant_id), traceparent)
        self._size += 1
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        if self._size >= self.max_events:
            self._wake.set()

    async def _run(self) -> None:
        while self._pending:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
            self._wake.clear()
            await self.flush()

    async def flush(self) -> None:
        pending, self._pending, self._size = self._pending, {}, 0
        traceparents, self._traceparents = self._traceparents, {}
        for (topic, tenant_id), events in pending.items():
            try:
                await publish_events(topic, tenant_id, events, traceparents.get((topic, tenant_id)))
            except Exception:  # analytics must not break chat; the loss is logged and counted
                log.exception("could not publish events", extra={"topic": topic, "count": len(events)})
