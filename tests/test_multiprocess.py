"""Two web processes and two ingest workers on one machine share the load and lose nothing.

Why each worker has its own chDB directory: chDB allows one owning process per directory and
a shared ClickHouse server is not available here. So the test checks what scale-out relies
on, with each worker writing to a private store: the consumer group splits the bus messages
between the two workers (both write some), and the union of both stores holds every event
exactly once (total = N, no event id in both). The web processes serve the event ingest API
(``POST /api/v1/analytics/events``: PostgreSQL, Redis and the bus, never ClickHouse) with
``INGEST__EMBEDDED_WORKER=false`` and no lifespan, as real uvicorn servers on free ports.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import redis.exceptions

from core import cache
from core.bus_redis import stream_name
from core.services import free_port
from tests.factories import create_tenant

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[1]
TOPIC = "conversation.logs"
REQUESTS = 100
EVENTS_PER_REQUEST = 40  # N = 4000 events
MP_AGENT = "3d5e9b70-0000-4000-8000-0000000a9e17"  # reporting by id: unknown slugs are refused
COUNT_SCRIPT = """
import sys, orjson
from core import clickhouse
rows = clickhouse.query_rows(
    "SELECT toString(event_id) FROM va.events WHERE tenant_id = {t:UUID}", {"t": sys.argv[1]}
)
sys.stdout.write(orjson.dumps([r[0] for r in rows]).decode())
"""


def _spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen[bytes], timeout_s: float = 30) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return int(proc.returncode)


class Cluster:
    """The four processes, their logs and their chDB directories."""

    def __init__(self, root: Path, group: str) -> None:
        self.root = root
        self.group = group
        self.web_ports = [free_port(), free_port()]
        self.chdb_dirs = [root / "chdb-worker-1", root / "chdb-worker-2"]
        self.webs: list[subprocess.Popen[bytes]] = []
        self.workers: list[subprocess.Popen[bytes]] = []

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "BUS__CONSUMER_GROUP": self.group,
            "INGEST__EMBEDDED_WORKER": "false",
            "INGEST__METRICS_PORT": "0",
            "LOG_LEVEL": "WARNING",
            "LOG_JSON": "false",
            **extra,
        }

    def start(self) -> None:
        for n, chdb_dir in enumerate(self.chdb_dirs, 1):
            # As in deploy/: the migrations job applies the analytics schema, workers only write rows.
            migrate = [sys.executable, "-m", "va_app.cli", "db", "upgrade", "--store", "clickhouse"]
            env = self.env(CLICKHOUSE_URL=f"chdb:///{chdb_dir}")
            subprocess.run(migrate, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
            env = self.env(CLICKHOUSE_URL=f"chdb:///{chdb_dir}", INGEST__WORKER_NAME=f"mp-worker-{n}", LOG_LEVEL="INFO")
            cmd = [sys.executable, "-m", "ingest"]
            self.workers.append(_spawn(cmd, env, self.root / f"worker-{n}.log"))
        for n, port in enumerate(self.web_ports, 1):
            # The web processes never open ClickHouse; a private directory keeps them off the workers'.
            env = self.env(CLICKHOUSE_URL=f"chdb:///{self.root / f'chdb-web-{n}'}")
            cmd = [sys.executable, "-m", "loadtests.serve", "--port", str(port), "--no-lifespan"]
            self.webs.append(_spawn(cmd, env, self.root / f"web-{n}.log"))

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text(errors="replace")[-3000:]

    def check_alive(self) -> None:
        for kind, procs in (("web", self.webs), ("worker", self.workers)):
            for n, proc in enumerate(procs, 1):
                if proc.poll() is not None:
                    pytest.fail(f"{kind} {n} exited with {proc.returncode}:\n{self.log(f'{kind}-{n}')}")

    def stop(self) -> list[int]:
        return [_stop(p) for p in self.webs + self.workers]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(tmp_path, f"mp-{uuid.uuid4().hex[:8]}")
    c.start()
    try:
        yield c
    finally:
        c.stop()


async def _wait_until(what: str, check, cluster: Cluster, timeout_s: float = 45) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        cluster.check_alive()
        if await check():
            return
        await asyncio.sleep(0.3)
    state = await _group_state(f"{cluster.group}.{TOPIC}")
    pytest.fail(f"timed out waiting for {what} (group: {state}):\n{cluster.log('worker-1')}")


async def _group_state(group: str) -> tuple[int, int, int] | None:
    """(consumers, pending, lag) of the workers' group on the topic's stream, None before it exists."""
    try:
        groups = await cache.get_redis().xinfo_groups(stream_name(TOPIC))
    except redis.exceptions.ResponseError:  # the stream does not exist yet
        return None
    for info in groups:
        if info["name"].decode() == group:
            return int(info["consumers"]), int(info["pending"]), int(info["lag"] or 0)
    return None


def _event_ids_in(chdb_dir: Path, tenant_id: str) -> list[str]:
    """Read one worker's store in a subprocess: chDB has one owner per process and directory."""
    out = subprocess.run(
        [sys.executable, "-c", COUNT_SCRIPT, tenant_id],
        cwd=ROOT,
        env={**os.environ, "CLICKHOUSE_URL": f"chdb:///{chdb_dir}"},
        capture_output=True,
        check=True,
        timeout=60,
    )
    return list(orjson.loads(out.stdout))


async def test_two_web_processes_and_two_workers_share_the_load_and_lose_nothing(cluster: Cluster) -> None:
    tenant = await create_tenant()
    group = f"{cluster.group}.{TOPIC}"

    async def both_workers_joined() -> bool:
        # Redis lists a consumer only once it has read something, so the start-up log line it is.
        return all("ingest worker started" in cluster.log(f"worker-{n}") for n in (1, 2))

    await _wait_until("both workers to join the consumer group", both_workers_joined, cluster)

    async def webs_ready() -> bool:
        async with httpx.AsyncClient(timeout=2) as client:
            try:
                answers = [await client.get(f"http://127.0.0.1:{p}/healthz") for p in cluster.web_ports]
            except httpx.HTTPError:
                return False
        return all(a.status_code == 200 for a in answers)

    await _wait_until("both web processes to serve", webs_ready, cluster)

    sent: set[str] = set()
    served = dict.fromkeys(cluster.web_ports, 0)
    headers = {"Authorization": f"Bearer {tenant.owner_key}"}

    async def post(client: httpx.AsyncClient, i: int) -> None:
        port = cluster.web_ports[i % 2]
        events = []
        for _ in range(EVENTS_PER_REQUEST):
            event_id = str(uuid.uuid4())
            sent.add(event_id)
            events.append(
                {
                    "event_id": event_id,
                    "type": TOPIC,
                    "source": "multiprocess-test",
                    "payload": {"agent_id": MP_AGENT, "conversation_id": f"c-{i}", "outcome": "answered"},
                }
            )
        resp = await client.post(
            f"http://127.0.0.1:{port}/api/v1/analytics/events", json={"events": events}, headers=headers
        )
        assert resp.status_code == 202, resp.text
        assert resp.json()["accepted"] == EVENTS_PER_REQUEST
        served[port] += 1

    async with httpx.AsyncClient(timeout=30) as client:
        for start in range(0, REQUESTS, 10):  # ten requests in flight at a time
            await asyncio.gather(*(post(client, i) for i in range(start, start + 10)))
    assert set(served.values()) == {REQUESTS // 2}

    async def drained() -> bool:
        state = await _group_state(group)
        return state is not None and state[1] == 0 and state[2] == 0

    await _wait_until("both workers to drain the stream", drained, cluster)
    codes = cluster.stop()
    assert codes[2:] == [0, 0], f"the workers did not stop cleanly: {codes}"

    per_worker = [_event_ids_in(d, str(tenant.tenant_id)) for d in cluster.chdb_dirs]
    counts = [len(ids) for ids in per_worker]
    assert all(c > 0 for c in counts), f"the group did not split the work: {counts}"
    union = set(per_worker[0]) | set(per_worker[1])
    assert not set(per_worker[0]) & set(per_worker[1]), "an event was written by both workers"
    assert sum(counts) == len(sent) == REQUESTS * EVENTS_PER_REQUEST, counts
    assert union == sent
