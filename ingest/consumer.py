"""The consumer loop: fetch a batch, write it, acknowledge it, forget its manifest.

One loop per topic. At-least-once from the bus plus token-deduplicated inserts gives
exactly-once batches in ClickHouse; the dedup window (:mod:`ingest.dedup`) drops every
event already written by another batch, so each event counts once in the raw table and in
every rollup behind it. A stop request lets the batch in hand finish (written
and acknowledged) before the loop exits, so shutdown never leaves work for redelivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import redis.asyncio as aioredis

from core import failpoints, keys, tracing
from core.bus import BusConsumer, BusMessage, EventBus, get_bus
from core.config import Settings, get_settings
from core.events import DEAD_LETTER_TOPIC, EVENT_TYPES
from core.metrics import BUS_LAG, DEAD_LETTERS, DUPLICATES_DROPPED, INGEST_BATCH_SECONDS, INGESTED
from ingest import fastpath, writers
from ingest.dedup import DedupWindow
from ingest.manifest import ManifestStore
from ingest.processors import DeadLetter, InsertBatch, process, process_dead_letters

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Prepared:
    """One insert unit as rows: the fast path's table, the field-by-field path's, dead letters."""

    fast: pa.Table
    slow: pa.Table
    dead_letters: list[DeadLetter]


@dataclass
class TopicIngestor:
    topic: str
    consumer: BusConsumer
    manifests: ManifestStore
    target_rows: int
    dedup: DedupWindow
    events_per_message: float = 100.0  # first guess; adapts to what producers send
    written: int = 0
    _last_error: str = field(default="", repr=False)

    @property
    def is_dead_letter_topic(self) -> bool:
        return self.topic == DEAD_LETTER_TOPIC

    def _fetch_size(self) -> int:
        return max(1, min(5000, int(self.target_rows / max(1.0, self.events_per_message))))

    async def handle_once(self, timeout_ms: int | None = None) -> int:
        """One fetch -> write -> ack cycle; returns the number of messages acknowledged."""
        messages = await self.consumer.fetch(self._fetch_size(), timeout_ms)
        if not messages:
            return 0
        if not tracing.enabled():
            return await self._handle(messages)
        # One span per batch, linked to every producer's context (a batch serves many traces).
        links = tracing.links_from(tracing.traceparent_of(m.value) for m in messages)
        with tracing.span("ingest.batch", kind="consumer", links=links, topic=self.topic, messages=len(messages)):
            return await self._handle(messages)

    async def _handle(self, messages: list[BusMessage]) -> int:
        started = time.perf_counter()
        units = await self._plan(messages)
        if units is None:
            return 0
        acked: list[BusMessage] = [m for _, unit in units for m in unit]
        for token, unit in units:
            await self.write_unit(token, unit)
        failpoints.hit("ingest.after_write")  # fault tests: kill -9 between write and ack
        await self.consumer.ack(acked)
        for token, unit in units:
            await self.manifests.complete(token, [m.id for m in unit])
        INGEST_BATCH_SECONDS.labels(self.topic).observe(time.perf_counter() - started)
        return len(acked)

    async def _plan(self, messages: list[BusMessage]) -> list[tuple[str, list[BusMessage]]] | None:
        """Split a fetch into insert units: redelivered batches whole, under their old token,
        and the fresh messages under a new one. None = wait (a batch is not whole yet)."""
        tokens = await self.manifests.tokens_of([m.id for m in messages])
        fresh = [m for m in messages if m.id not in tokens]
        redelivered: dict[str, list[BusMessage]] = {}
        for m in messages:
            if m.id in tokens:
                redelivered.setdefault(tokens[m.id], []).append(m)
        units: list[tuple[str, list[BusMessage]]] = []
        for token, unit in redelivered.items():
            members = await self.manifests.members(token)
            if members is None:
                fresh.extend(unit)
                continue
            have = {m.id for m in unit}
            missing = [i for i in members if i not in have]
            if missing:
                claim = getattr(self.consumer, "claim", None)
                if claim is None:
                    # Kafka: the rest of the batch follows in offset order; rewind and wait.
                    await self.consumer.nack(messages)
                    return None
                unit = unit + list(await claim(missing))
            log.info("re-inserting a redelivered batch", extra={"topic": self.topic, "messages": len(unit)})
            units.append((token, unit))
        if fresh:
            units.append((await self.manifests.record([m.id for m in fresh]), fresh))
        return units

    async def write_unit(self, token: str, unit: Sequence[BusMessage]) -> None:
        """Process, drop events already written (in this unit or by another insert), insert."""
        if self.is_dead_letter_topic:
            letters = process_dead_letters(list(unit))
            await asyncio.to_thread(writers.write_dead_letters, letters, token)
            DEAD_LETTERS.labels(self.topic).inc(len(letters))
            return
        prepared = await asyncio.to_thread(self._prepare, unit)
        tables, dropped = await self.dedup.filter([prepared.fast, prepared.slow], token)
        failpoints.hit("ingest.after_claim")  # fault tests: kill -9 with events claimed, not written
        await asyncio.to_thread(self._insert, token, tables[0], tables[1], prepared.dead_letters)
        rows = tables[0].num_rows + tables[1].num_rows
        if unit:
            seen = rows + dropped
            self.events_per_message = 0.8 * self.events_per_message + 0.2 * (seen / len(unit))
        self.written += rows
        INGESTED.labels(self.topic).inc(rows)
        if dropped:
            DUPLICATES_DROPPED.labels(self.topic).inc(dropped)
        if prepared.dead_letters:
            DEAD_LETTERS.labels(self.topic).inc(len(prepared.dead_letters))

    def _prepare(self, unit: Sequence[BusMessage]) -> _Prepared:
        fast = [m for m in unit if self.topic == "conversation.logs" and fastpath.eligible(m.value)]
        slow = [m for m in unit if not (self.topic == "conversation.logs" and fastpath.eligible(m.value))]
        table = fastpath.process_fast([m.value for m in fast]) if fast else None
        if table is None:
            slow, table = list(unit), writers.EVENT_SCHEMA.empty_table()
        batch: InsertBatch = process(slow) if slow else InsertBatch()
        return _Prepared(table, writers.to_arrow(batch), batch.dead_letters)

    @staticmethod
    def _insert(token: str, fast: pa.Table, slow: pa.Table, dead_letters: list[DeadLetter]) -> None:
        # Separate inserts need separate tokens; which messages take which path is a pure
        # function of their bytes, and which rows survive the dedup window is fixed by the
        # claims this token owns, so a redelivery under the same token repeats both inserts.
        writers.write_events_arrow(fast, token + ":fast")
        writers.write_events_arrow(slow, token)
        writers.write_dead_letters(dead_letters, token)

    async def run(self, stop: asyncio.Event, retry_delay_s: float = 1.0) -> None:
        while not stop.is_set():
            try:
                await self.handle_once()
                self._last_error = ""
            except Exception as exc:  # keep consuming; unacked messages are redelivered
                if str(exc) != self._last_error:
                    log.exception("ingest batch failed; it will be retried", extra={"topic": self.topic})
                self._last_error = str(exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), retry_delay_s)


def default_worker_name(settings: Settings) -> str:
    return settings.ingest.worker_name or f"{socket.gethostname()}-{os.getpid()}"


class IngestWorker:
    """All topics of the pipeline in one process (one consumer-group member per topic)."""

    def __init__(self, settings: Settings | None = None, name: str | None = None) -> None:
        self.settings = settings or get_settings()
        self.name = name or default_worker_name(self.settings)
        self.group = self.settings.bus.consumer_group
        self.topics: tuple[str, ...] = (*EVENT_TYPES, DEAD_LETTER_TOPIC)
        self.bus: EventBus | None = None
        self.ingestors: list[TopicIngestor] = []
        self._redis: aioredis.Redis | None = None
        self.stop_event = asyncio.Event()

    async def start(self) -> None:
        self.bus = get_bus(self.settings)
        self._redis = aioredis.Redis.from_url(self.settings.resolved_redis_url)
        for topic in self.topics:
            # One group per topic: on Kafka, members of one group subscribed to different topics
            # rebalance each other on every join; per-topic groups keep rebalances local.
            consumer = await self.bus.consumer(topic, f"{self.group}.{topic}", self.name)
            self.ingestors.append(
                TopicIngestor(
                    topic,
                    consumer,
                    ManifestStore(self._redis, self.group, topic),
                    self.settings.ingest.target_rows_per_insert,
                    DedupWindow(self._redis, self.settings.ingest.dedup_window_s),
                )
            )
        log.info("ingest worker started", extra={"worker": self.name, "bus": self.bus.backend})

    async def run(self) -> None:
        if not self.ingestors:
            await self.start()
        await asyncio.gather(*(i.run(self.stop_event) for i in self.ingestors), self._report_lag())

    async def _report_lag(self) -> None:
        while not self.stop_event.is_set():
            await self._report_lag_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_event.wait(), 5)

    async def _report_lag_once(self) -> None:
        """Publish the backlog: Prometheus gauge, and Redis for the API's backpressure check
        and the console (any web process can read it)."""
        total = 0
        per_topic: dict[str, int] = {}
        for ingestor in self.ingestors:
            with contextlib.suppress(Exception):
                lag = await ingestor.consumer.lag()
                BUS_LAG.labels(ingestor.topic, self.group).set(lag)
                per_topic[ingestor.topic] = lag
                total += lag
        if self._redis is not None:
            with contextlib.suppress(Exception):
                pipe = self._redis.pipeline(transaction=False)
                pipe.set(keys.INGEST_LAG, total, ex=30)
                if per_topic:
                    pipe.hset(keys.INGEST_LAG_TOPICS, mapping=per_topic)
                    pipe.expire(keys.INGEST_LAG_TOPICS, 30)
                await pipe.execute()

    async def stop(self) -> None:
        """Finish the batch in hand, then close consumers and connections."""
        self.stop_event.set()

    async def close(self) -> None:
        for ingestor in self.ingestors:
            with contextlib.suppress(Exception):
                await ingestor.consumer.close()
        if self.bus is not None:
            await self.bus.close()
        if self._redis is not None:
            await self._redis.aclose()
