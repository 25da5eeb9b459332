"""One contract for both event bus backends: what the ingest worker relies on.

Every test runs against Redis Streams and against Kafka (noida-db's Kafka-protocol
broker). Topics and groups are unique per test so tests never see each other's messages.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Sequence

import pytest

from core.bus import BusConsumer, BusMessage, EventBus, consume_loop, get_bus
from core.config import BusSettings, Settings

CLAIM_IDLE_MS = 300
WAIT_S = 10.0


@pytest.fixture(params=[pytest.param("redis", marks=pytest.mark.redis), pytest.param("kafka", marks=pytest.mark.kafka)])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    bus_settings = BusSettings(batch_size=100, block_ms=100, claim_idle_ms=CLAIM_IDLE_MS, kafka_partitions=4)
    if request.param == "kafka":
        settings = Settings(kafka_bootstrap_servers=request.getfixturevalue("kafka_broker"), bus=bus_settings)
    else:
        settings = Settings(redis_url=request.getfixturevalue("redis_server").url, bus=bus_settings)
    instance = get_bus(settings)
    assert instance.backend == request.param
    yield instance
    await instance.close()


@pytest.fixture
def topic() -> str:
    return f"test.bus.{uuid.uuid4().hex[:12]}"


@pytest.fixture
def group() -> str:
    return f"group-{uuid.uuid4().hex[:12]}"


async def fetch_until(consumer: BusConsumer, count: int, *, max_messages: int | None = None) -> list[BusMessage]:
    """Fetch until ``count`` messages arrived (or fail after WAIT_S)."""
    got: list[BusMessage] = []
    deadline = time.monotonic() + WAIT_S
    while len(got) < count:
        assert time.monotonic() < deadline, f"got {len(got)} of {count} messages"
        got += await consumer.fetch(max_messages=max_messages)
    return got


async def fetch_nothing(consumer: BusConsumer, seconds: float) -> None:
    """Keep fetching for ``seconds`` (longer than the claim idle time) and expect nothing."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert await consumer.fetch(timeout_ms=100) == []


def events(n: int) -> list[tuple[str, dict[str, object]]]:
    return [(f"tenant-{i % 5}", {"seq": i, "kind": "test"}) for i in range(n)]


def seqs(messages: Sequence[BusMessage]) -> list[int]:
    return sorted(m.json()["seq"] for m in messages)


async def test_ping_names_the_backend(bus: EventBus) -> None:
    label = await bus.ping()
    assert label.startswith("Redis Streams (Redis " if bus.backend == "redis" else "Kafka (")


async def test_round_trip_keeps_key_and_payload_json_and_bytes(bus: EventBus, topic: str, group: str) -> None:
    payload = {"tenant_id": "t-1", "text": "héllo", "n": 3, "nested": {"ok": True}}
    raw = b"\x00\x01 not json \xff"
    await bus.publish(topic, "t-1", payload)
    await bus.publish(topic, "t-1", raw)  # same key: same partition, so order is kept
    consumer = await bus.consumer(topic, group, "c1")
    got = await fetch_until(consumer, 2)
    assert [m.key for m in got] == ["t-1", "t-1"]
    assert got[0].json() == payload
    assert got[1].value == raw
    assert all(m.topic == topic and m.id for m in got)
    assert len({m.id for m in got}) == 2
    await consumer.ack(got)
    await consumer.close()


async def test_batches_are_bounded(bus: EventBus, topic: str, group: str) -> None:
    await bus.publish_many(topic, events(25))
    consumer = await bus.consumer(topic, group, "c1", batch_size=7)
    got: list[BusMessage] = []
    deadline = time.monotonic() + WAIT_S
    while len(got) < 25 and time.monotonic() < deadline:
        batch = await consumer.fetch()
        assert len(batch) <= 7
        got += batch
        await consumer.ack(batch)
    assert seqs(got) == list(range(25))
    await bus.publish_many(topic, events(10))
    batch = await fetch_until(consumer, 1, max_messages=3)
    assert 1 <= len(batch) <= 3
    await consumer.close()


async def test_group_members_split_messages_without_duplicates(bus: EventBus, topic: str, group: str) -> None:
    a = await bus.consumer(topic, group, "a")
    b = await bus.consumer(topic, group, "b")
    if bus.backend == "kafka":  # wait until the rebalance gave both members partitions
        await asyncio.gather(a.fetch(timeout_ms=200), b.fetch(timeout_ms=200))
    items = [(f"tenant-{i}", {"seq": i}) for i in range(40)]
    await bus.publish_many(topic, items)
    got_a: list[BusMessage] = []
    got_b: list[BusMessage] = []
    deadline = time.monotonic() + WAIT_S
    while len(got_a) + len(got_b) < 40 and time.monotonic() < deadline:
        batch_a, batch_b = await asyncio.gather(a.fetch(max_messages=5), b.fetch(max_messages=5))
        await asyncio.gather(a.ack(batch_a), b.ack(batch_b))
        got_a += batch_a
        got_b += batch_b
    assert got_a and got_b, "both members must receive part of the topic"
    assert seqs(got_a + got_b) == list(range(40))
    assert not {m.id for m in got_a} & {m.id for m in got_b}
    await a.close()
    await b.close()


async def test_acked_messages_are_not_delivered_again(bus: EventBus, topic: str, group: str) -> None:
    await bus.publish_many(topic, events(10))
    first = await bus.consumer(topic, group, "first", claim_idle_ms=CLAIM_IDLE_MS)
    await first.ack(await fetch_until(first, 10))
    await first.close()
    second = await bus.consumer(topic, group, "second", claim_idle_ms=CLAIM_IDLE_MS)
    await fetch_nothing(second, CLAIM_IDLE_MS * 3 / 1000)
    assert await second.lag() == 0
    await second.close()


async def test_unacked_batch_is_redelivered_after_consumer_dies(bus: EventBus, topic: str, group: str) -> None:
    await bus.publish_many(topic, events(10))
    doomed = await bus.consumer(topic, group, "doomed", claim_idle_ms=CLAIM_IDLE_MS)
    lost = await fetch_until(doomed, 10)
    # Dies without acknowledging. On Redis, close() does not touch the pending entries, so
    # this is what a kill leaves behind. On Kafka it leaves the group instead of waiting
    # out the session timeout (noida-db never expires silent members); the committed
    # offsets, which decide redelivery, are exactly those of a kill.
    await doomed.close()

    heir = await bus.consumer(topic, group, "heir", claim_idle_ms=CLAIM_IDLE_MS)
    redelivered = await fetch_until(heir, 10)
    assert sorted(m.id for m in redelivered) == sorted(m.id for m in lost)
    assert seqs(redelivered) == list(range(10))
    await heir.ack(redelivered)
    assert await heir.lag() == 0
    await fetch_nothing(heir, CLAIM_IDLE_MS * 2 / 1000)
    await heir.close()


async def test_nacked_messages_come_back(bus: EventBus, topic: str, group: str) -> None:
    await bus.publish_many(topic, events(5))
    consumer = await bus.consumer(topic, group, "c1")
    batch = await fetch_until(consumer, 5)
    await consumer.nack(batch)
    again = await fetch_until(consumer, 5)
    assert sorted(m.id for m in again) == sorted(m.id for m in batch)
    await consumer.ack(again)
    await consumer.close()


async def test_lag_counts_unacknowledged_messages(bus: EventBus, topic: str, group: str) -> None:
    consumer = await bus.consumer(topic, group, "c1")
    assert await consumer.lag() == 0
    await bus.publish_many(topic, events(10))
    assert await consumer.lag() == 10
    batch = await fetch_until(consumer, 4, max_messages=4)
    assert len(batch) == 4
    assert await consumer.lag() == 10  # delivered but not acknowledged still counts
    await consumer.ack(batch)
    assert await consumer.lag() == 6
    await consumer.ack(await fetch_until(consumer, 6))
    assert await consumer.lag() == 0
    await consumer.close()


async def test_consume_loop_acks_only_after_the_handler_succeeds(bus: EventBus, topic: str, group: str) -> None:
    await bus.publish_many(topic, events(10))
    consumer = await bus.consumer(topic, group, "c1")
    stop = asyncio.Event()
    calls = 0
    handled: list[BusMessage] = []

    async def handler(batch: list[BusMessage]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("store unavailable")
        handled.extend(batch)
        if len({m.id for m in handled}) >= 10:
            stop.set()

    await asyncio.wait_for(consume_loop(consumer, handler, stop=stop, retry_delay_s=0.05), WAIT_S)
    assert calls >= 2
    assert seqs({m.id: m for m in handled}.values()) == list(range(10))
    assert await consumer.lag() == 0
    await consumer.close()


def test_get_bus_picks_kafka_only_when_bootstrap_servers_are_set() -> None:
    assert get_bus(Settings(kafka_bootstrap_servers="127.0.0.1:1")).backend == "kafka"
    assert get_bus(Settings(kafka_bootstrap_servers=None)).backend == "redis"
