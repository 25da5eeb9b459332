"""Kafka backend of the event bus, for the scale-out deployment.

Topics are partitioned by the message key (the tenant id), so one tenant's events keep
their order while tenants spread over the ingest replicas of one consumer group. Offsets
are committed by hand, after the handler succeeded, which is what makes delivery
at-least-once; auto-commit would mark a batch done before it was written.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import CommitFailedError, IllegalStateError, TopicAlreadyExistsError, for_code
from aiokafka.structs import OffsetAndMetadata

from core.bus import BusMessage, Event, encode_event
from core.config import BusSettings

logger = logging.getLogger(__name__)

MAX_REPLICATION = 3


class KafkaBus:
    """Connects lazily, so building one (e.g. to read ``backend``) costs no network."""

    backend = "kafka"

    def __init__(self, bootstrap_servers: str, settings: BusSettings, **producer_config: Any) -> None:
        self._servers = bootstrap_servers
        self._settings = settings
        self._producer_config = producer_config
        self._producer: AIOKafkaProducer | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._known_topics: set[str] = set()
        self._lock = asyncio.Lock()

    async def _get_admin(self) -> AIOKafkaAdminClient:
        async with self._lock:
            if self._admin is None:
                admin = AIOKafkaAdminClient(bootstrap_servers=self._servers)
                await admin.start()
                self._admin = admin
            return self._admin

    async def _get_producer(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                config: dict[str, Any] = {
                    "acks": "all",  # an event acknowledged to the API survives a broker loss
                    "linger_ms": 5,  # a few ms of waiting fills batches under load
                    "max_batch_size": 256 * 1024,
                    **self._producer_config,
                }
                producer = AIOKafkaProducer(bootstrap_servers=self._servers, **config)
                await producer.start()
                self._producer = producer
            return self._producer

    async def ensure_topic(self, topic: str) -> None:
        """Create the topic with ``kafka_partitions`` partitions unless it exists.

        Broker-side auto-creation would use the broker's default partition count (often
        1), which caps the consumer group at one useful member.
        """
        if topic in self._known_topics:
            return
        admin = await self._get_admin()
        cluster = await admin.describe_cluster()
        replication = max(1, min(MAX_REPLICATION, len(cluster["brokers"])))
        response = await admin.create_topics(
            [NewTopic(topic, num_partitions=self._settings.kafka_partitions, replication_factor=replication)]
        )
        for error in response.topic_errors:
            code = error[1]
            if code not in (0, TopicAlreadyExistsError.errno):
                raise for_code(code)(f"creating topic {topic!r}: {error[2]}")
        self._known_topics.add(topic)

    async def publish(self, topic: str, key: str, event: Event) -> None:
        await self.ensure_topic(topic)
        producer = await self._get_producer()
        await producer.send_and_wait(topic, encode_event(event), key=key.encode())

    async def publish_many(self, topic: str, items: Sequence[tuple[str, Event]]) -> None:
        await self.ensure_topic(topic)
        producer = await self._get_producer()
        # send() only enqueues (and waits when the buffer is full); awaiting the delivery
        # futures together lets the producer batch all of them per partition.
        deliveries = [await producer.send(topic, encode_event(event), key=key.encode()) for key, event in items]
        await asyncio.gather(*deliveries)

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
    ) -> KafkaBusConsumer:
        """``opts`` go to :class:`AIOKafkaConsumer` (e.g. ``session_timeout_ms``).

        ``claim_idle_ms`` has no use here: the group coordinator hands a dead member's
        partitions to the others after its session timeout, and they resume from the
        last committed offset.
        """
        del claim_idle_ms
        await self.ensure_topic(topic)
        batch_size = batch_size or self._settings.batch_size
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=self._servers,
            group_id=group,
            client_id=name,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=batch_size,
            **opts,
        )
        await consumer.start()
        return KafkaBusConsumer(
            consumer,
            topic=topic,
            group=group,
            name=name,
            batch_size=batch_size,
            block_ms=self._settings.block_ms if block_ms is None else block_ms,
        )

    async def ping(self) -> str:
        admin = await self._get_admin()
        cluster = await admin.describe_cluster()
        return f"Kafka ({len(cluster['brokers'])} brokers)"

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
        if self._admin is not None:
            await self._admin.close()
            self._admin = None


class KafkaBusConsumer:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        *,
        topic: str,
        group: str,
        name: str,
        batch_size: int,
        block_ms: int,
    ) -> None:
        self.topic = topic
        self.group = group
        self.name = name
        self._consumer = consumer
        self._batch_size = batch_size
        self._block_ms = block_ms
        self._committed: dict[TopicPartition, int] = {}

    async def fetch(self, max_messages: int | None = None, timeout_ms: int | None = None) -> list[BusMessage]:
        records = await self._consumer.getmany(
            timeout_ms=self._block_ms if timeout_ms is None else timeout_ms,
            max_records=max_messages or self._batch_size,
        )
        return [
            BusMessage(
                topic=tp.topic,
                key=record.key.decode() if record.key else "",
                value=record.value or b"",
                id=f"{tp.partition}:{record.offset}",
                partition=tp.partition,
                offset=record.offset,
            )
            for tp, batch in records.items()
            for record in batch
        ]

    async def ack(self, messages: Sequence[BusMessage]) -> None:
        """Commit the highest acknowledged offset per partition.

        A Kafka commit is a watermark: it also covers every lower offset, so batches must be
        acknowledged in fetch order (as :func:`core.bus.consume_loop` does). Commits never
        move backwards, so a late ack of an older batch is harmless.
        """
        highest: dict[TopicPartition, int] = {}
        for m in messages:
            tp = TopicPartition(m.topic, m.partition)
            highest[tp] = max(highest.get(tp, -1), m.offset)
        assigned = self._consumer.assignment()
        offsets = {
            tp: OffsetAndMetadata(offset + 1, "")
            for tp, offset in highest.items()
            if tp in assigned and offset + 1 > self._committed.get(tp, -1)
        }
        if revoked := set(highest) - assigned:
            logger.warning(
                "bus ack after rebalance; the new owner will redeliver",
                extra={"topic": self.topic, "group": self.group, "partitions": sorted(tp.partition for tp in revoked)},
            )
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError):
            # The group rebalanced under us: the partitions' new owner starts from the last
            # commit and redelivers this batch, which at-least-once allows.
            logger.warning("bus commit rejected by rebalance", extra={"topic": self.topic, "group": self.group})
            return
        for tp, meta in offsets.items():
            self._committed[tp] = meta.offset

    async def nack(self, messages: Sequence[BusMessage]) -> None:
        """Rewind each partition to the oldest nacked offset, so the next fetch repeats it."""
        lowest: dict[TopicPartition, int] = {}
        for m in messages:
            tp = TopicPartition(m.topic, m.partition)
            lowest[tp] = min(lowest.get(tp, m.offset), m.offset)
        assigned = self._consumer.assignment()
        for tp, offset in lowest.items():
            if tp in assigned:
                self._consumer.seek(tp, offset)

    async def lag(self) -> int:
        """Group-wide, over all partitions of the topic (not only this member's), so the
        figure means the same as on Redis and any replica can report it."""
        partitions = self._consumer.partitions_for_topic(self.topic) or set()
        tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        if not tps:
            return 0
        end = await self._consumer.end_offsets(tps)
        committed = await asyncio.gather(*(self._consumer.committed(tp) for tp in tps))
        never = [tp for tp, offset in zip(tps, committed, strict=True) if offset is None]
        start = await self._consumer.beginning_offsets(never) if never else {}
        return sum(
            max(0, end[tp] - (start[tp] if offset is None else offset))
            for tp, offset in zip(tps, committed, strict=True)
        )

    async def close(self) -> None:
        """Leaves the group at once (no commit), so the others take over without waiting
        for the session timeout."""
        await self._consumer.stop()
