"""Property under ``kill -9``: a seeded random mix of events -- fresh ones, copies inside a
message, whole messages published again, events re-sent later in other messages -- through
``python -m ingest`` processes killed with SIGKILL after claiming a batch's events (before
the insert), after the insert (before the acknowledgement), and from outside at random.
Afterwards ``va analytics verify`` finds no drift, and the raw table, every rollup and the
dashboard summary (rollups and raw) all count the distinct events, each once.

The worker and the checks run as subprocesses on their own chDB directory (chDB allows one
owner), as in ``test_ingest_fault.py``.
"""

from __future__ import annotations

import asyncio
import json
import random
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
from tests.ingest.test_ingest_fault import _env, _group_state, _start

pytestmark = [pytest.mark.redis, pytest.mark.timeout(300)]

SEED = 12
DISTINCT = 6_000
PER_MESSAGE = 300


def _mix(tenant: str, rng: random.Random) -> tuple[list[bytes], float]:
    """Bus messages carrying every one of DISTINCT events at least once, and their total cost."""
    events = [
        {
            "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "tenant_id": tenant,
            "type": "conversation.logs",
            "ts": f"2026-11-20T{10 + i % 3:02d}:{i % 60:02d}:00.000+00:00",
            "source": "kill-test",
            "payload": {"agent_id": "a", "conversation_id": f"c{i % 541}", "cost_usd": 0.001 * (1 + i % 3)},
        }
        for i in range(DISTINCT)
    ]
    cost = sum(float(e["payload"]["cost_usd"]) for e in events)  # type: ignore[index]
    messages: list[bytes] = []
    for start in range(0, DISTINCT, PER_MESSAGE):
        batch = events[start : start + PER_MESSAGE]
        batch += rng.sample(batch, PER_MESSAGE // 10)  # copies inside the message
        if start:
            batch += rng.sample(events[:start], PER_MESSAGE // 10)  # retries of earlier events
        rng.shuffle(batch)
        body = orjson.dumps({"v": 1, "events": batch})
        messages.append(body)
        if rng.random() < 0.1:
            messages.append(body)  # the producer published the message again
    return messages, cost


def _run(env: dict[str, str], code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


async def test_kill_dash_nine_with_retries_and_duplicates_counts_each_event_once(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    group = f"kill-{uuid.uuid4().hex[:8]}"
    tenant = str(uuid.uuid4())
    env = {**_env(tmp_path / "chdb", group), "INGEST__TARGET_ROWS_PER_INSERT": "1000"}  # a few messages a batch
    log = tmp_path / "worker.log"
    client = aioredis.Redis.from_url(get_settings().resolved_redis_url)
    messages, cost = _mix(tenant, rng)
    bus = get_bus()
    try:
        for body in messages:
            await bus.publish("conversation.logs", tenant, body)
    finally:
        await bus.close()
    va = str(Path(sys.executable).with_name("va"))
    schema = subprocess.run([va, "db", "upgrade", "--store", "clickhouse"], env=env, cwd=ROOT, capture_output=True)
    assert schema.returncode == 0, schema.stderr

    # kill -9 with a batch's events claimed but not inserted, then between insert and ack ...
    for failpoint in ("ingest.after_claim=2", "ingest.after_write=3"):
        crashed = subprocess.run(
            [sys.executable, "-m", "ingest"],
            env={**env, "VA_FAILPOINTS": failpoint},
            cwd=ROOT,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            timeout=120,
        )
        assert crashed.returncode == -signal.SIGKILL, log.read_text()[-2000:]
    # ... then from outside, wherever it is, and let a last worker drain the stream.
    worker = _start(env, log)
    try:
        deadline = time.monotonic() + 180
        killed = False
        while time.monotonic() < deadline:
            lag, pending = await _group_state(client, group)
            if not killed and pending > 0:
                await asyncio.sleep(rng.uniform(0.02, 0.2))
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                killed = True
                worker = _start(env, log)
            elif lag == 0 and pending == 0:
                break
            assert worker.poll() is None, log.read_text()[-3000:]
            await asyncio.sleep(0.05)
        else:
            pytest.fail(f"worker did not drain: lag={lag} pending={pending}\n{log.read_text()[-3000:]}")
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
        await client.aclose()

    verify = subprocess.run(
        [va, "analytics", "verify", "--since", "2026-11-19", "--json"], env=env, cwd=ROOT, capture_output=True
    )
    report = json.loads(verify.stdout)
    assert verify.returncode == 0 and report["drift"] == [], report["drift"][:5]
    check = (
        "import datetime as dt, json\n"
        "from core import clickhouse as ch\n"
        "from analytics.queries import metrics as mq\n"
        f"t = '{tenant}'\n"
        "q = lambda s: ch.query_rows(s, {'t': t})[0][0]\n"
        "tables = ['rollup_1m', 'rollup_1h', 'rollup_1h_agent', 'rollup_1h_model', 'rollup_1h_channel',"
        " 'rollup_1h_intent']\n"
        "out = {'raw': q('SELECT count() FROM va.events WHERE tenant_id = {t:UUID}'),"
        " 'distinct': q('SELECT uniqExact(event_id) FROM va.events WHERE tenant_id = {t:UUID}')}\n"
        "out.update({n: q(f'SELECT sum(events) FROM va.{n} WHERE tenant_id = {{t:UUID}}') for n in tables})\n"
        "start, end = dt.datetime(2026, 11, 20, tzinfo=dt.UTC), dt.datetime(2026, 11, 21, tzinfo=dt.UTC)\n"
        "for source in ('auto', 'raw'):\n"
        "    s = mq.summary(mq.MetricQuery(t, start, end, source=source))\n"
        "    out['summary_' + source] = s['events']\n"
        "    out['cost_' + source] = s['cost_usd']\n"
        "print(json.dumps(out, default=str))\n"
    )
    figures = json.loads(_run(env, check))
    for name in ("raw", "distinct", "rollup_1m", "rollup_1h", "rollup_1h_agent", "rollup_1h_model"):
        assert int(figures[name]) == DISTINCT, (name, figures)
    for name in ("rollup_1h_channel", "rollup_1h_intent", "summary_auto", "summary_raw"):
        assert int(figures[name]) == DISTINCT, (name, figures)
    assert figures["cost_auto"] == pytest.approx(cost, abs=1e-4)
    assert figures["cost_raw"] == pytest.approx(cost, abs=1e-4)
