"""Redis Streams backend of the event bus: the embedded default, no extra server needed.

One stream per topic, consumer groups for sharing work, the pending entries list (PEL)
for at-least-once delivery: an entry stays pending until XACK, and entries left pending
by a member that stopped answering are taken over with XAUTOCLAIM once idle long enough.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from core import keys
from core.bus import BusMessage, Event, encode_event
from core.config import BusSettings

logger = logging.getLogger(__name__)

PIPELINE_CHUNK = 1000  # bounds the memory of one pipeline reply without costing round trips
_KEY = b"k"
_VALUE = b"v"


def stream_name(topic: str) -> str:
    return keys.bus_stream(topic)


class RedisStreamBus:
    """Owns its connection pool: blocking XREADGROUP calls must not starve the cache's pool."""

    backend = "redis"

    def __init__(self, url: str, settings: BusSettings, *, max_connections: int = 64) -> None:
        self._settings = settings
        self._redis: aioredis.Redis = aioredis.Redis.from_url(
            url, decode_responses=False, max_connections=max_connections, health_check_interval=30
        )

    async def publish(self, topic: str, key: str, event: Event) -> None:
        await self._redis.xadd(
            stream_name(topic),
            {_KEY: key, _VALUE: encode_event(event)},
            maxlen=self._settings.stream_maxlen,
            approximate=True,  # "~" trims whole radix-tree nodes: O(1) instead of per entry
        )

    async def publish_many(self, topic: str, items: Sequence[tuple[str, Event]]) -> None:
        stream = stream_name(topic)
        for start in range(0, len(items), PIPELINE_CHUNK):
            # Not transactional: MULTI would serialise the batch for no benefit, as each
            # entry is independent and a partial failure is retried by the caller.
            pipe = self._redis.pipeline(transaction=False)
            for key, event in items[start : start + PIPELINE_CHUNK]:
                pipe.xadd(
                    stream,
                    {_KEY: key, _VALUE: encode_event(event)},
                    maxlen=self._settings.stream_maxlen,
                    approximate=True,
                )
            await pipe.execute()

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
    ) -> RedisStreamConsumer:
        if opts:
            raise TypeError(f"unknown Redis consumer options: {sorted(opts)}")
        stream = stream_name(topic)
        try:
            # id "0": a new group starts from the oldest retained entry, like Kafka's
            # auto_offset_reset=earliest, so events published before the first deploy count.
            await self._redis.xgroup_create(stream, group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        return RedisStreamConsumer(
            self._redis,
            topic=topic,
            group=group,
            name=name,
            batch_size=batch_size or self._settings.batch_size,
            block_ms=self._settings.block_ms if block_ms is None else block_ms,
            claim_idle_ms=self._settings.claim_idle_ms if claim_idle_ms is None else claim_idle_ms,
        )

    async def ping(self) -> str:
        info = await self._redis.info("server")
        return f"Redis Streams (Redis {info.get('redis_version', '?')})"

    async def close(self) -> None:
        await self._redis.aclose()


class RedisStreamConsumer:
    """One group member. ``claim_idle_ms`` must exceed the slowest handler run, or a live
    member's batch is claimed by another one and processed twice."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        topic: str,
        group: str,
        name: str,
        batch_size: int,
        block_ms: int,
        claim_idle_ms: int,
    ) -> None:
        self.topic = topic
        self.group = group
        self.name = name
        self._redis = client
        self._stream = stream_name(topic)
        self._batch_size = batch_size
        self._block_ms = block_ms
        self._claim_idle_ms = claim_idle_ms
        self._claim_cursor = "0-0"
        self._next_claim_at = 0.0  # claim at once: this may be a restart of a dead member

    async def fetch(self, max_messages: int | None = None, timeout_ms: int | None = None) -> list[BusMessage]:
        count = max_messages or self._batch_size
        messages = await self._claim(count) if time.monotonic() >= self._next_claim_at else []
        if len(messages) < count:
            block = self._block_ms if timeout_ms is None else timeout_ms
            # BLOCK 0 means "forever" to Redis; a zero timeout here means "do not wait".
            reply = await self._redis.xreadgroup(
                self.group,
                self.name,
                {self._stream: ">"},
                count=count - len(messages),
                block=block if block > 0 and not messages else None,
            )
            for _stream, entries in reply or []:
                messages.extend(self._message(entry_id, fields) for entry_id, fields in entries if fields)
        return messages

    async def _claim(self, count: int) -> list[BusMessage]:
        """Take over entries idle longer than ``claim_idle_ms``, scanning the PEL in steps."""
        reply = await self._redis.xautoclaim(
            self._stream,
            self.group,
            self.name,
            min_idle_time=self._claim_idle_ms,
            start_id=self._claim_cursor,
            count=count,
        )
        cursor, entries = reply[0], reply[1]
        self._claim_cursor = cursor.decode() if isinstance(cursor, bytes) else str(cursor)
        if self._claim_cursor == "0-0":
            # Whole PEL scanned: nothing can become claimable sooner than half the idle time.
            self._next_claim_at = time.monotonic() + self._claim_idle_ms / 2000
        claimed = [self._message(entry_id, fields) for entry_id, fields in entries if fields]
        if claimed:
            logger.info(
                "bus claimed idle entries",
                extra={"topic": self.topic, "group": self.group, "consumer": self.name, "n": len(claimed)},
            )
        return claimed

    def _message(self, entry_id: bytes | str, fields: dict[bytes, bytes]) -> BusMessage:
        return BusMessage(
            topic=self.topic,
            key=fields.get(_KEY, b"").decode(),
            value=fields.get(_VALUE, b""),
            id=entry_id.decode() if isinstance(entry_id, bytes) else entry_id,
        )

    async def ack(self, messages: Sequence[BusMessage]) -> None:
        if messages:
            await self._redis.xack(self._stream, self.group, *(m.id for m in messages))

    async def claim(self, ids: Sequence[str]) -> list[BusMessage]:
        """Take over exactly these pending entries (whoever holds them) with their content.

        The ingest worker uses this to re-assemble a batch that was in flight when its
        worker died, so it can be re-inserted whole under its original dedup token.
        Entries already acknowledged (or trimmed) are not returned.
        """
        if not ids:
            return []
        entries = await self._redis.xclaim(self._stream, self.group, self.name, min_idle_time=0, message_ids=list(ids))
        return [self._message(entry_id, fields) for entry_id, fields in entries if fields]

    async def nack(self, messages: Sequence[BusMessage]) -> None:
        """Mark the entries idle for ``claim_idle_ms`` so the next XAUTOCLAIM takes them back."""
        if not messages:
            return
        await self._redis.xclaim(
            self._stream,
            self.group,
            self.name,
            min_idle_time=0,
            message_ids=[m.id for m in messages],
            idle=self._claim_idle_ms,
            justid=True,
        )
        self._claim_cursor = "0-0"
        self._next_claim_at = 0.0

    async def lag(self) -> int:
        groups = await self._redis.xinfo_groups(self._stream)
        for info in groups:
            name = info.get("name")
            if (name.decode() if isinstance(name, bytes) else name) != self.group:
                continue
            undelivered = info.get("lag")
            if undelivered is None:
                # Redis reports no lag when deletions make it unknowable; the stream
                # length is an upper bound, which errs on the side of scaling out.
                undelivered = await self._redis.xlen(self._stream)
            return int(undelivered) + int(info.get("pending") or 0)
        raise LookupError(f"consumer group {self.group!r} not found on {self._stream}")

    async def close(self) -> None:
        """Leave the group's member list only when nothing is pending for this member:
        XGROUP DELCONSUMER drops its pending entries, which would lose them."""
        pending = await self._redis.xpending_range(
            self._stream, self.group, min="-", max="+", count=1, consumername=self.name
        )
        if not pending:
            await self._redis.xgroup_delconsumer(self._stream, self.group, self.name)
