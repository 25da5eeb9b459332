"""Benchmark (a): end-to-end ingest throughput through each bus backend.

Producer -> bus -> ingest worker -> ClickHouse (chDB, with the rollup views), measured from
the first publish until every event is queryable. Servers (Redis, the Kafka-protocol broker)
are started by this script in a temporary directory; nothing is left running.

    .venv/bin/python benchmarks/ingest_throughput.py [--events 2000000] [--backend redis|kafka|both]

Prints events/s for the whole pipeline and for the producer alone.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PER_MESSAGE = 1000


def _messages(events: int, tenants: int = 20) -> list[tuple[str, bytes]]:
    """Pre-encoded bus messages (1000 events each), so the figure is the pipeline's, not the encoder's."""
    from analytics import generator

    specs = generator.synthetic_tenants(tenants, 5)
    spec = generator.GeneratorSpec(specs, events, dt.datetime.now(dt.UTC), days=1)
    out: list[tuple[str, bytes]] = []
    for batch in generator.generate_batches(spec, 100_000):
        by_tenant: dict[str, list[dict[str, object]]] = {}
        for env in generator.events_as_envelopes(batch):
            by_tenant.setdefault(str(env["tenant_id"]), []).append(env)
        for tenant, evs in by_tenant.items():
            for i in range(0, len(evs), PER_MESSAGE):
                out.append((tenant, orjson.dumps({"v": 1, "fmt": "va", "events": evs[i : i + PER_MESSAGE]})))
    return out


async def _run(backend: str, messages: list[tuple[str, bytes]], events: int) -> dict[str, float]:
    from core import clickhouse
    from core.bus import get_bus
    from core.config import get_settings
    from ingest.consumer import IngestWorker

    settings = get_settings().model_copy(deep=True)
    settings.bus.consumer_group = f"bench-{uuid.uuid4().hex[:6]}"
    if backend == "kafka":
        settings.kafka_bootstrap_servers = os.environ["BENCH_KAFKA"]
    worker = IngestWorker(settings, name="bench-worker")
    await worker.start()
    db = settings.clickhouse.database
    before = int(clickhouse.query_rows(f"SELECT count() FROM {db}.events")[0][0])
    bus = get_bus(settings)
    runner = asyncio.create_task(worker.run())
    started = time.perf_counter()
    for i in range(0, len(messages), 200):
        await bus.publish_many("conversation.logs", messages[i : i + 200])
    produced_s = time.perf_counter() - started
    last_report = time.perf_counter()
    while True:
        rows = await clickhouse.run(clickhouse.query_rows, f"SELECT count() FROM {db}.events")
        done = int(rows[0][0])
        if done - before >= events:
            break
        if time.perf_counter() - last_report > 5:
            last_report = time.perf_counter()
            print(f"  {backend}: {done - before:,} / {events:,} stored after {last_report - started:.0f} s", flush=True)
        await asyncio.sleep(0.05)
    total_s = time.perf_counter() - started
    await worker.stop()
    await runner
    await worker.close()
    await bus.close()
    return {"producer_eps": events / produced_s, "end_to_end_eps": events / total_s, "seconds": total_s}


def _start_kafka(tmp: Path) -> subprocess.Popen[bytes]:
    from core.services import free_port, port_open

    port = free_port()
    binary = shutil.which("noida-db", path=str(Path(sys.executable).parent)) or "noida-db"
    proc = subprocess.Popen(
        [binary, "start", "--only", "kafka", "--kafka-port", str(port)],
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not port_open(port):
        if time.monotonic() > deadline:
            raise RuntimeError("kafka broker did not start")
        time.sleep(0.1)
    os.environ["BENCH_KAFKA"] = f"127.0.0.1:{port}"
    return proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--backend", choices=["redis", "kafka", "both"], default="both")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="va-bench-ingest-"))
    os.environ.update({"DATA_DIR": str(tmp), "CLICKHOUSE_URL": f"chdb:///{tmp / 'chdb'}", "LOG_JSON": "false"})
    from core.services import EmbeddedRedis, free_port

    redis_server = EmbeddedRedis(tmp / "redis", free_port())
    redis_server.start()
    os.environ["REDIS_URL"] = redis_server.url
    kafka = None
    try:
        from analytics.schema import apply_schema
        from core.config import get_settings

        get_settings.cache_clear()
        apply_schema()
        print(f"encoding {args.events:,} events into {PER_MESSAGE}-event bus messages ...", flush=True)
        messages = _messages(args.events)
        backends = ["redis", "kafka"] if args.backend == "both" else [args.backend]
        results = {}
        for backend in backends:
            if backend == "kafka":
                kafka = _start_kafka(tmp)
            print(f"running {backend} ...", flush=True)
            results[backend] = asyncio.run(_run(backend, messages, args.events))
        print()
        print(f"{'bus':<16}{'end-to-end events/s':>22}{'producer events/s':>20}{'seconds':>10}")
        for backend, r in results.items():
            name = "Redis Streams" if backend == "redis" else "Kafka (noida)"
            print(f"{name:<16}{r['end_to_end_eps']:>22,.0f}{r['producer_eps']:>20,.0f}{r['seconds']:>10.1f}")
        print(f"\n{args.events:,} events, {os.cpu_count()} cores, chDB with rollup views; goal 50,000 events/s")
    finally:
        if kafka is not None:
            os.killpg(kafka.pid, signal.SIGTERM)
        redis_server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
