"""Benchmark: exactly-once counting under retries, at volume.

N distinct events (default 1M, the synthetic generator's realistic mix over 20 tenants) are
published on the bus with 10 % extra copies: a third duplicated inside their own message, a
third re-sent in a later message (a producer retry), a third as whole messages published
twice (a producer that timed out and sent again). The ingest worker runs as in production
(Redis Streams, chDB with every rollup view, the dedup window). When the stream is drained,
``va analytics verify``'s check runs over everything and the totals are compared.

    .venv/bin/python benchmarks/exactly_once.py [--events 1000000] [--retries 0.10]

Prints drift (goal 0), rows stored vs distinct events, every rollup's total, the dashboard
summary total, end-to-end events/s and the Redis memory the dedup window takes per event.
Servers are started in a temporary directory; nothing is left running.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PER_MESSAGE = 1000


def _messages(events: int, retries: float, seed: int) -> tuple[list[tuple[str, bytes]], int]:
    """Bus messages carrying every event once plus ``retries`` x events copies; and the
    number of event rows they carry in total."""
    from analytics import generator

    rng = random.Random(seed)
    specs = generator.synthetic_tenants(20, 5)
    spec = generator.GeneratorSpec(specs, events, dt.datetime.now(dt.UTC), days=1)
    by_tenant: dict[str, list[dict[str, Any]]] = {}
    for batch in generator.generate_batches(spec, 100_000):
        for env in generator.events_as_envelopes(batch):
            by_tenant.setdefault(str(env["tenant_id"]), []).append(env)
    copies = int(events * retries)
    in_message, later, republished = copies // 3, copies // 3, copies - 2 * (copies // 3)
    out: list[tuple[str, bytes]] = []
    rows = 0
    tenants = list(by_tenant)
    chunks: list[tuple[str, list[dict[str, Any]]]] = [
        (t, by_tenant[t][i : i + PER_MESSAGE]) for t in tenants for i in range(0, len(by_tenant[t]), PER_MESSAGE)
    ]
    rng.shuffle(chunks)
    per_chunk_dup = max(1, in_message // max(1, len(chunks)))
    seen: list[tuple[str, dict[str, Any]]] = []
    later_left, republish_left, dup_left = later, republished, in_message
    for tenant, chunk in chunks:
        body = list(chunk)
        take = min(dup_left, per_chunk_dup, len(chunk))
        body += rng.sample(chunk, take)
        dup_left -= take
        retry_pool = [e for t, e in seen[-20_000:] if t == tenant]
        take = min(later_left, per_chunk_dup, len(retry_pool))
        body += rng.sample(retry_pool, take)
        later_left -= take
        rng.shuffle(body)
        message = (tenant, orjson.dumps({"v": 1, "fmt": "va", "events": body}))
        out.append(message)
        rows += len(body)
        if republish_left >= len(body) and rng.random() < 0.5:
            out.append(message)
            rows += len(body)
            republish_left -= len(body)
        seen.extend((tenant, e) for e in chunk)
    # Whatever the budget has left: late retries of random earlier events, per tenant.
    left = later_left + republish_left + dup_left
    for tenant in tenants:
        pool = by_tenant[tenant]
        take = min(len(pool), left // len(tenants) + (1 if tenant == tenants[0] else 0) * (left % len(tenants)))
        for i in range(0, take, PER_MESSAGE):
            body = rng.sample(pool, min(PER_MESSAGE, take - i))
            out.append((tenant, orjson.dumps({"v": 1, "fmt": "va", "events": body})))
            rows += len(body)
    return out, rows


async def _run(messages: list[tuple[str, bytes]], distinct: int) -> dict[str, float]:
    import redis.asyncio as aioredis

    from core import clickhouse
    from core.bus import get_bus
    from core.config import get_settings
    from ingest.consumer import IngestWorker

    settings = get_settings().model_copy(deep=True)
    settings.bus.consumer_group = f"bench-{uuid.uuid4().hex[:6]}"
    client = aioredis.Redis.from_url(settings.resolved_redis_url)
    worker = IngestWorker(settings, name="bench-worker")
    await worker.start()
    bus = get_bus(settings)
    runner = asyncio.create_task(worker.run())
    started = time.perf_counter()
    for i in range(0, len(messages), 100):
        await bus.publish_many("conversation.logs", messages[i : i + 100])
    logs = next(i for i in worker.ingestors if i.topic == "conversation.logs")
    last_report = time.perf_counter()
    db = settings.clickhouse.database
    while True:
        lag = await logs.consumer.lag()
        stored = int((await clickhouse.run(clickhouse.query_rows, f"SELECT count() FROM {db}.events"))[0][0])
        if lag == 0 and stored >= distinct:
            break
        if time.perf_counter() - last_report > 10:
            last_report = time.perf_counter()
            print(f"  {stored:,} rows stored, lag {lag} messages, {last_report - started:.0f} s", flush=True)
        await asyncio.sleep(0.1)
    await worker.stop()
    await runner
    total_s = time.perf_counter() - started
    claims, sampled = 0, []
    async for key in client.scan_iter(match=b"va:seen:*", count=10_000):
        claims += 1
        if len(sampled) < 2000:
            sampled.append(key)
    usage = [int(await client.memory_usage(k) or 0) for k in sampled]
    await worker.close()
    await bus.close()
    await client.aclose()
    return {
        "seconds": total_s,
        "eps": distinct / total_s,
        "claims": claims,
        # MEMORY USAGE of sampled claims (key, value, object overhead), plus the entry in the
        # expires dict that every key with a TTL has (~24 bytes).
        "bytes_per_claim": sum(usage) / max(1, len(usage)) + 24,
    }


def _totals() -> dict[str, float]:
    from analytics.queries import metrics as mq
    from analytics.schema import ROLLUPS
    from core import clickhouse
    from core.config import get_settings

    db = get_settings().clickhouse.database
    out: dict[str, float] = {
        "raw rows": float(clickhouse.query_rows(f"SELECT count() FROM {db}.events")[0][0]),
        "distinct event ids": float(
            clickhouse.query_rows(f"SELECT uniqExact(tenant_id, event_id) FROM {db}.events")[0][0]
        ),
    }
    for rollup in ROLLUPS:
        out[f"{rollup.name} events"] = float(clickhouse.query_rows(f"SELECT sum(events) FROM {db}.{rollup.name}")[0][0])
    tenants = [str(r[0]) for r in clickhouse.query_rows(f"SELECT DISTINCT toString(tenant_id) FROM {db}.events")]
    end = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    start = end - dt.timedelta(days=3)
    for source in ("auto", "raw"):
        total = 0.0
        for tenant in tenants:
            summary = mq.summary(mq.MetricQuery(tenant, start, end, source=source))
            total += float(summary["events"])  # type: ignore[arg-type]
        out[f"dashboard summary ({source}) events"] = total
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--retries", type=float, default=0.10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="va-bench-once-"))
    os.environ.update({"DATA_DIR": str(tmp), "CLICKHOUSE_URL": f"chdb:///{tmp / 'chdb'}", "LOG_JSON": "false"})
    from core.services import EmbeddedRedis, free_port

    redis_server = EmbeddedRedis(tmp / "redis", free_port())
    redis_server.start()
    os.environ["REDIS_URL"] = redis_server.url
    try:
        from analytics import reconcile
        from analytics.schema import apply_schema
        from core.config import get_settings

        get_settings.cache_clear()
        apply_schema()
        print(f"encoding {args.events:,} events with {args.retries:.0%} retries ...", flush=True)
        messages, rows = _messages(args.events, args.retries, args.seed)
        copies = rows - args.events
        print(f"{len(messages):,} bus messages carrying {rows:,} event rows ({copies:,} copies)", flush=True)
        run = asyncio.run(_run(messages, args.events))
        started = time.perf_counter()
        report = reconcile.verify(None, dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
        verify_s = time.perf_counter() - started
        totals = _totals()
        print()
        print(f"{'figure':<40}{'value':>16}{'goal':>16}")
        print(f"{'drifted buckets (va analytics verify)':<40}{len(report.drift):>16,}{0:>16,}")
        print(f"{'buckets checked':<40}{sum(report.buckets.values()):>16,}{'':>16}")
        for name, value in totals.items():
            print(f"{name:<40}{value:>16,.0f}{args.events:>16,}")
        print(f"{'event rows sent (with copies)':<40}{rows:>16,}{'':>16}")
        print(f"{'end-to-end distinct events/s':<40}{run['eps']:>16,.0f}{'':>16}")
        print(f"{'pipeline seconds':<40}{run['seconds']:>16.1f}{'':>16}")
        print(f"{'verify seconds':<40}{verify_s:>16.1f}{'':>16}")
        print(f"{'dedup claims in Redis':<40}{run['claims']:>16,.0f}{'':>16}")
        print(f"{'Redis bytes per claim':<40}{run['bytes_per_claim']:>16,.0f}{'':>16}")
        print(f"\n{os.cpu_count()} cores, chDB with every rollup view, Redis Streams")
        if report.drift or any(v != args.events for v in totals.values()):
            raise SystemExit(1)
    finally:
        redis_server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
