"""Batch manifests: which bus messages went into which insert, kept in Redis.

Before a batch is inserted, its message ids and a fresh dedup token are recorded. If the
worker dies after the insert but before the acknowledgement, the messages come back; the
manifest tells the next worker to re-insert exactly the same messages under the same token,
which ClickHouse then drops as a duplicate. (The same idea as ClickHouse's own Kafka
connector, which keeps its batch state in Keeper.) Entries expire after a day: a batch is
redelivered within minutes or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import orjson
import redis.asyncio as aioredis

from core import keys

TTL_S = 24 * 3600


class ManifestStore:
    def __init__(self, client: aioredis.Redis, group: str, topic: str) -> None:
        self._redis = client
        self._prefix = keys.ingest_manifest(group, topic)

    def _msg(self, message_id: str) -> str:
        return f"{self._prefix}:m:{message_id}"

    def _tok(self, token: str) -> str:
        return f"{self._prefix}:t:{token}"

    async def tokens_of(self, message_ids: Sequence[str]) -> dict[str, str]:
        """The token each already-recorded message was inserted under."""
        if not message_ids:
            return {}
        values = await self._redis.mget([self._msg(i) for i in message_ids])
        return {i: v.decode() for i, v in zip(message_ids, values, strict=True) if v is not None}

    async def members(self, token: str) -> list[str] | None:
        raw = await self._redis.get(self._tok(token))
        return orjson.loads(raw) if raw else None

    async def record(self, message_ids: Sequence[str]) -> str:
        token = uuid.uuid4().hex
        pipe = self._redis.pipeline(transaction=True)
        pipe.set(self._tok(token), orjson.dumps(list(message_ids)), ex=TTL_S)
        for message_id in message_ids:
            pipe.set(self._msg(message_id), token, ex=TTL_S)
        await pipe.execute()
        return token

    async def complete(self, token: str, message_ids: Sequence[str]) -> None:
        """Forget a batch once it is acknowledged on the bus."""
        await self._redis.delete(self._tok(token), *(self._msg(i) for i in message_ids))
