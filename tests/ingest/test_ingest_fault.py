"""Fault test: kill -9 the ingest worker mid-batch, restart it, and find every event exactly once.

The worker runs as ``python -m ingest`` in a subprocess with its own chDB directory (its
schema applied by ``va db upgrade --store clickhouse``, as a deployment does); the
counts are read by another subprocess after the worker has stopped (chDB allows one owner).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import orjson
import pytest
import redis.asyncio as aioredis

from core.bus import get_bus
from core.config import get_settings
from tests.conftest import ROOT

pytestmark = pytest.mark.redis

EVENTS = 120_000
PER_MESSAGE = 500
KILLS = 3


def _env(chdb_dir: Path, group: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "CLICKHOUSE_URL": f"chdb:///{chdb_dir}",
            "BUS__CONSUMER_GROUP": group,
            "BUS__CLAIM_IDLE_MS": "1000",
            "INGEST__WORKER_NAME": "fault-worker",
            "INGEST__TARGET_ROWS_PER_INSERT": "10000",
            "INGEST__METRICS_PORT": "0",
            "LOG_JSON": "false",
        }
    )
    return env


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ingest"], env=env, cwd=ROOT, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )


async def _group_state(client: aioredis.Redis, group: str) -> tuple[int, int]:
    """(lag, pending) of the group on the conversation.logs stream."""
    for info in await client.xinfo_groups("va:bus:conversation.logs"):
        name = info["name"].decode() if isinstance(info["name"], bytes) else info["name"]
        if name == f"{group}.conversation.logs":
            return int(info.get("lag") or 0), int(info.get("pending") or 0)
    return -1, -1


async def _produce(tenant: str) -> None:
    bus = get_bus()
    try:
        for start in range(0, EVENTS, PER_MESSAGE):
            events = [
                {
                    "event_id": str(uuid.uuid4()),
                    "tenant_id": tenant,
                    "type": "conversation.logs",
                    "ts": "2026-11-20T10:00:00.000+00:00",
                    "source": "fault-test",
                    "payload": {"agent_id": "a", "conversation_id": f"c{(start + i) % 997}", "cost_usd": 0.001},
                }
                for i in range(PER_MESSAGE)
            ]
            await bus.publish("conversation.logs", tenant, orjson.dumps({"v": 1, "events": events}))
    finally:
        await bus.close()


async def test_kill_dash_nine_mid_batch_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    group = f"fault-{uuid.uuid4().hex[:8]}"
    tenant = str(uuid.uuid4())
    env = _env(tmp_path / "chdb", group)
    log = tmp_path / "worker.log"
    client = aioredis.Redis.from_url(get_settings().resolved_redis_url)
    await _produce(tenant)

    # The schema step of a deployment (`va db upgrade`): workers never create tables.
    schema = subprocess.run(
        [str(Path(sys.executable).with_name("va")), "db", "upgrade", "--store", "clickhouse"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert schema.returncode == 0, schema.stderr

    # First crash exactly between a batch's write and its acknowledgement (the failpoint sends
    # SIGKILL to the worker itself), then kill -9 from outside at whatever point it is.
    crashed = subprocess.run(
        [sys.executable, "-m", "ingest"],
        env={**env, "VA_FAILPOINTS": "ingest.after_write=2"},
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        timeout=120,
    )
    assert crashed.returncode == -signal.SIGKILL
    kills = 1
    worker = _start(env, log)
    try:
        deadline = time.monotonic() + 240
        while kills < KILLS and time.monotonic() < deadline:
            lag, pending = await _group_state(client, group)
            if pending > 0:  # a batch is in hand: kill it there
                await asyncio.sleep(0.05 * (kills + 1))
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                kills += 1
                worker = _start(env, log)
            else:
                await asyncio.sleep(0.01)
        assert kills == KILLS, f"could not catch the worker mid-batch; log: {log.read_text()[-2000:]}"
        while time.monotonic() < deadline:
            lag, pending = await _group_state(client, group)
            if lag == 0 and pending == 0:
                break
            assert worker.poll() is None, log.read_text()[-3000:]
            await asyncio.sleep(0.2)
        else:
            pytest.fail(f"worker did not drain: lag={lag} pending={pending}\n{log.read_text()[-3000:]}")
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
        await client.aclose()

    check = (
        "from core import clickhouse as ch\n"
        f"t = '{tenant}'\n"
        "q = lambda s: ch.query_rows(s, {'t': t})[0][0]\n"
        "print(q('SELECT count() FROM va.events WHERE tenant_id = {t:UUID}'),"
        " q('SELECT uniqExact(event_id) FROM va.events WHERE tenant_id = {t:UUID}'),"
        " q('SELECT sum(events) FROM va.rollup_1m WHERE tenant_id = {t:UUID}'),"
        " q('SELECT sum(events) FROM va.rollup_1h WHERE tenant_id = {t:UUID}'))\n"
    )
    out = subprocess.run([sys.executable, "-c", check], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    raw_count, unique_ids, rollup_minute, rollup_hour = (int(x) for x in out.stdout.split())
    assert unique_ids == EVENTS, "events were lost"
    assert raw_count == EVENTS, "duplicates in the raw table"
    assert rollup_minute == EVENTS and rollup_hour == EVENTS, "duplicates in the rollups"
