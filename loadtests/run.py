"""Run the Locust mix against a real server on this machine and print the figures.

``.venv/bin/python loadtests/run.py [--users 20 --spawn-rate 10 --duration 60s]`` or
``make loadtest``. In a temporary directory it starts the fake LLM provider
(``tools.fake_llm``, 0 ms), PostgreSQL and Redis (``core.services``, free ports), migrates,
provisions a tenant, an owner key without practical rate limits and a hotel agent whose FAQ
knowledge base is uploaded through the API and whose model is the fake provider's
``gpt-4o-mini``, then serves the API with uvicorn (``loadtests.serve``: one worker, full
lifespan, embedded ingest worker owning chDB) on 127.0.0.1. Locust runs headless
(``--csv --html``); RPS, p50/p95/p99 and failure rate per endpoint are printed and the HTML
report is written under ``reports/loadtest-<time>/``.

``--find-capacity`` steps the users (``--stages 5,10,20,40,80``, ``--stage-seconds`` each,
caches warm from the previous stage) and reports the largest load whose aggregated p95 stays
under ``--p95-ms`` (200) with under 1 % failures. Locust shares the 2 cores with the server,
so the figures are for the whole machine, not for the server alone.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._chat_env import backends, create_agent, new_tenant  # noqa: E402
from tests.chat_setup import FAQ  # noqa: E402

MODEL = "gpt-4o-mini"  # a catalog model served by the fake provider (OpenAI wire)
SLUG = "aurelia-loadtest"


@dataclass
class Row:
    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float

    @property
    def failure_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


def _free_port() -> int:
    from core.services import free_port

    return free_port()


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url}: the process exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} not ready within {timeout_s} s:\n{log.read_text()[-3000:]}")


def _start(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


async def _provision() -> str:
    """A tenant, an owner key and the agent with its knowledge base, through the API in-process."""
    from core import cache, db
    from va_app.api.app import build_api, with_request_context

    _tenant, key = await new_tenant()
    transport = httpx.ASGITransport(app=with_request_context(build_api()))
    async with httpx.AsyncClient(transport=transport, base_url="http://seed", timeout=120) as api:
        await create_agent(
            api,
            key,
            SLUG,
            faq_csv=FAQ,
            variables={"property_name": "Aurelia Paris", "brand_name": "Aurelia Hotels"},
            version={"model_policy": {"quality_tier": "economy", "allowed_models": [MODEL]}},
        )
        for n in range(3):  # something for the management reads to list
            await api.post("/api/v1/api-keys", json={"name": f"lt-{n}", "role": "viewer"}, headers=_auth(key))
    await cache.close()
    await db.dispose()
    return key


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def run_locust(host: str, key: str, users: int, spawn_rate: float, duration: str, out: Path, label: str) -> list[Row]:
    """One headless Locust run; returns its per-endpoint rows (the last one is 'Aggregated')."""
    prefix = out / label
    cmd = [
        str(Path(sys.executable).parent / "locust"),
        "-f",
        str(ROOT / "loadtests" / "locustfile.py"),
        "--headless",
        "--host",
        host,
        "-u",
        str(users),
        "-r",
        str(spawn_rate),
        "-t",
        duration,
        "--csv",
        str(prefix),
        "--html",
        f"{prefix}.html",
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    env = {**os.environ, "VA_KEY": key, "VA_AGENT": SLUG}
    with (out / f"{label}.log").open("wb") as log:
        subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    return read_stats(Path(f"{prefix}_stats.csv"))


def read_stats(path: Path) -> list[Row]:
    rows = []
    with path.open() as f:
        for r in csv.DictReader(f):
            name = f"{r['Type']} {r['Name']}".strip() if r["Name"] != "Aggregated" else "Aggregated"
            name = name.replace("POST POST ", "POST ").replace("GET GET ", "GET ")
            rows.append(
                Row(
                    name,
                    int(r["Request Count"]),
                    int(r["Failure Count"]),
                    float(r["Requests/s"]),
                    float(r["50%"] if r["50%"] != "N/A" else 0),
                    float(r["95%"] if r["95%"] != "N/A" else 0),
                    float(r["99%"] if r["99%"] != "N/A" else 0),
                )
            )
    return rows


def print_table(rows: list[Row], title: str) -> None:
    print(f"\n{title}")
    print("| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | failures |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r.name} | {r.requests} | {r.rps:.1f} | {r.p50:.0f} | {r.p95:.0f} | {r.p99:.0f} | "
            f"{100 * r.failure_rate:.2f} % |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", default="60s", help="Locust -t for the main run")
    parser.add_argument("--find-capacity", action="store_true", help="step the users instead of one run")
    parser.add_argument("--stages", default="5,10,20,40,80")
    parser.add_argument("--stage-seconds", type=int, default=15)
    parser.add_argument("--p95-ms", type=float, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / "reports")
    args = parser.parse_args()

    out = args.out / f"loadtest-{dt.datetime.now():%Y%m%d-%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="va-loadtest-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            fake_port, app_port = _free_port(), _free_port()
            procs.append(
                _start(
                    [sys.executable, "-m", "tools.fake_llm", "--port", str(fake_port), "--latency-ms", "0"],
                    tmp / "fake.log",
                )
            )
            _wait(f"http://127.0.0.1:{fake_port}/_admin/stats", procs[-1], tmp / "fake.log")
            llm_env = {
                "LLM__OPENAI_API_KEY": "fake-key",
                "LLM__OPENAI_BASE_URL": f"http://127.0.0.1:{fake_port}/v1",
                "LOG_LEVEL": "WARNING",
            }
            with backends(tmp, llm_env) as env:
                key = asyncio.run(_provision())
                procs.append(
                    _start(
                        [sys.executable, "-m", "loadtests.serve", "--port", str(app_port)],
                        tmp / "app.log",
                        {**os.environ, **env},
                    )
                )
                _wait(f"http://127.0.0.1:{app_port}/readyz", procs[-1], tmp / "app.log")
                host = f"http://127.0.0.1:{app_port}"
                if args.find_capacity:
                    find_capacity(host, key, args, out)
                else:
                    rows = run_locust(host, key, args.users, args.spawn_rate, args.duration, out, "run")
                    print_table(rows, f"{args.users} users, {args.duration}, this machine ({os.cpu_count()} cores)")
                    print(f"\nHTML report: {out / 'run.html'}")
                shutil.copy(tmp / "app.log", out / "app.log")
        finally:
            for proc in reversed(procs):
                _stop(proc)


def find_capacity(host: str, key: str, args: argparse.Namespace, out: Path) -> None:
    """Step the load; the answer is the last stage under the p95 and failure limits."""
    best: Row | None = None
    best_users = 0
    summary: list[tuple[int, Row]] = []
    for users in [int(s) for s in args.stages.split(",")]:
        rows = run_locust(host, key, users, users, f"{args.stage_seconds}s", out, f"stage-{users:03d}")
        total = rows[-1]
        summary.append((users, total))
        print(
            f"users {users:>4}: {total.rps:6.1f} req/s  p50 {total.p50:.0f} ms  p95 {total.p95:.0f} ms  "
            f"p99 {total.p99:.0f} ms  failures {100 * total.failure_rate:.2f} %",
            flush=True,
        )
        if total.p95 >= args.p95_ms or total.failure_rate >= 0.01:
            break
        best, best_users = total, users
    print("\n| users | req/s | p50 ms | p95 ms | p99 ms | failures |")
    print("|---|---|---|---|---|---|")
    for users, r in summary:
        print(f"| {users} | {r.rps:.1f} | {r.p50:.0f} | {r.p95:.0f} | {r.p99:.0f} | {100 * r.failure_rate:.2f} % |")
    if best is None:
        print(f"\nno stage kept p95 under {args.p95_ms:.0f} ms")
    else:
        print(f"\nlargest load with p95 < {args.p95_ms:.0f} ms: {best_users} users, {best.rps:.1f} req/s")
    print(f"reports: {out}")


if __name__ == "__main__":
    main()
