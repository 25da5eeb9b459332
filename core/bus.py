"""Event bus: one interface, two backends chosen by settings.

Producers (the API) and consumers (the ingest worker) only see :class:`EventBus` and
:class:`BusConsumer`, so the embedded Redis Streams default and a Kafka cluster are
interchangeable without touching them. Delivery is at-least-once on both backends: a
message counts as done only once acknowledged, so consumers must be idempotent (ingest
writes into ReplacingMergeTree tables keyed by event id for exactly that reason).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import orjson

from core.config import Settings, get_settings

logger = logging.getLogger(__name__)

Event = bytes | Mapping[str, Any]
Handler = Callable[[list["BusMessage"]], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class BusMessage:
    """One delivered event; ``id`` is what the backend needs to acknowledge it."""

    topic: str
    key: str
    value: bytes
    id: str  # stream entry id (Redis) or "partition:offset" (Kafka)
    partition: int = 0
    offset: int = 0

    def json(self) -> Any:
        """The event as published when it was a mapping (the bus stores bytes only)."""
        return orjson.loads(self.value)


def encode_event(event: Event) -> bytes:
    """Bytes pass through untouched so producers can pre-encode hot paths themselves."""
    if isinstance(event, bytes | bytearray | memoryview):
        return bytes(event)
    return orjson.dumps(event if isinstance(event, dict) else dict(event))


@runtime_checkable
class BusConsumer(Protocol):
    """A member of a consumer group reading one topic.

    Members of one group share the topic's messages; each message goes to one member
    until acknowledged, and comes back (to any member) when it is not.
    """

    topic: str
    group: str
    name: str

    async def fetch(self, max_messages: int | None = None, timeout_ms: int | None = None) -> list[BusMessage]:
        """Up to ``max_messages`` (default ``bus.batch_size``), waiting at most ``timeout_ms``."""
        ...

    async def ack(self, messages: Sequence[BusMessage]) -> None:
        """Mark messages done; only then will they never be delivered again."""
        ...

    async def nack(self, messages: Sequence[BusMessage]) -> None:
        """Give messages back so a later fetch (of this or another member) delivers them again."""
        ...

    async def lag(self) -> int:
        """Messages the whole group has not acknowledged yet: the figure to scale workers on."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class EventBus(Protocol):
    backend: str  # "redis" | "kafka"

    async def publish(self, topic: str, key: str, event: Event) -> None:
        """``key`` is the tenant id: Kafka partitions by it, so one tenant's events stay ordered."""
        ...

    async def publish_many(self, topic: str, items: Sequence[tuple[str, Event]]) -> None:
        """Many ``(key, event)`` pairs in as few round trips as the backend allows."""
        ...

    async def consumer(
        self,
        topic: str,
        group: str,
        name: str,
        *,
        batch_size: int | None = None,
        block_ms: int | None = None,
        claim_idle_ms: int | None = None,
        **opts: Any,
    ) -> BusConsumer:
        """Join ``group`` as member ``name``; ``name`` must be stable per worker process."""
        ...

    async def ping(self) -> str:
        """A human label of the backend and its version; raises when it cannot be reached."""
        ...

    async def close(self) -> None: ...


def get_bus(settings: Settings | None = None) -> EventBus:
    """A new bus for these settings; the caller owns it and must ``close()`` it.

    Backends are imported lazily so a Redis-only deployment never imports aiokafka.
    """
    settings = settings or get_settings()
    if settings.kafka_bootstrap_servers:
        from core.bus_kafka import KafkaBus

        return KafkaBus(settings.kafka_bootstrap_servers, settings.bus)
    from core.bus_redis import RedisStreamBus

    return RedisStreamBus(settings.resolved_redis_url, settings.bus)


async def consume_loop(
    consumer: BusConsumer,
    handler: Handler,
    *,
    stop: asyncio.Event,
    retry_delay_s: float = 1.0,
) -> None:
    """Fetch, handle, ack until ``stop`` is set: at-least-once delivery.

    A batch is acknowledged only after ``handler`` returns; when it raises, the batch is
    given back (``nack``) and retried after ``retry_delay_s``, so a bad deploy or an
    unreachable store delays events instead of losing them. Fetch and ack errors are
    logged and retried too, because a worker that exits on a broker blip needs an operator to bring it back.
    """
    while not stop.is_set():
        try:
            batch = await consumer.fetch()
        except Exception:
            logger.exception("bus fetch failed", extra={"topic": consumer.topic, "group": consumer.group})
            await _wait(stop, retry_delay_s)
            continue
        if not batch:
            continue
        try:
            await handler(batch)
        except Exception:
            logger.exception(
                "bus handler failed; batch will be redelivered",
                extra={"topic": consumer.topic, "group": consumer.group, "size": len(batch)},
            )
            with contextlib.suppress(Exception):  # unacked messages come back anyway
                await consumer.nack(batch)
            await _wait(stop, retry_delay_s)
            continue
        try:
            await consumer.ack(batch)
        except Exception:
            # Handled but unacknowledged: the batch will be delivered again, which the
            # idempotent consumers tolerate; stopping the worker would not.
            logger.exception("bus ack failed", extra={"topic": consumer.topic, "group": consumer.group})


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
