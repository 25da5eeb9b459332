"""Fixtures shared by the ingest tests: a real ingest worker in its own consumer group."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from core import keys
from core.config import get_settings
from core.events import DEAD_LETTER_TOPIC, EVENT_TYPES
from ingest.consumer import IngestWorker


async def _start_groups_at_end(redis_url: str, group: str) -> None:
    """New groups start at the stream's end, so a test sees only the messages it publishes."""
    raw = aioredis.Redis.from_url(redis_url)
    for topic in (*EVENT_TYPES, DEAD_LETTER_TOPIC):
        await raw.xgroup_create(keys.bus_stream(topic), f"{group}.{topic}", id="$", mkstream=True)
    await raw.aclose()


@pytest.fixture
async def worker() -> AsyncIterator[IngestWorker]:
    """An ingest worker in a fresh consumer group that starts at the streams' end."""
    settings = get_settings().model_copy(deep=True)
    settings.bus.consumer_group = f"g-{uuid.uuid4().hex[:8]}"
    await _start_groups_at_end(settings.resolved_redis_url, settings.bus.consumer_group)
    w = IngestWorker(settings, name="test-worker")
    await w.start()
    yield w
    await w.close()
