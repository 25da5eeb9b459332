"""Benchmark: what our gateway adds on top of a provider, next to LiteLLM's own proxy.

    .venv/bin/python benchmarks/gateway_overhead.py [--requests 1000] [--concurrency 16]

One run, all on loopback, against the fake provider (``python -m tools.fake_llm``, zero added
latency) as the only upstream:

* **(a) direct**: the fake provider's ``/v1/chat/completions``;
* **(b) chat, cache miss**: ``POST /api/v1/agents/{slug}/chat`` with a new question each time
  (auth + rate limit, version pin, guardrails, exact-cache lookup, embedding + intent,
  semantic-cache lookup, router with budget/usage accounting, context save, turn event);
* **(c) chat, cache hit**: the same question again (answered from the exact cache);
* **(b') OpenAI-compatible pass-through**: ``POST /api/v1/chat/completions`` with a raw catalog
  model (auth, rate limit, PII masking, router): the like-for-like peer of (d);
* **(d) LiteLLM proxy** (``litellm[proxy]`` 1.108.7 from PyPI, installed by this script into
  ``.tools/litellm-proxy-venv``), configured with the same upstream.

Our app runs as a real server (uvicorn, one worker, on a free port) with PostgreSQL and Redis
started in a temporary directory by ``core.services``; LiteLLM runs with one worker. The load
generator is bounded async httpx: latency at concurrency 1 (``--latency-requests``), then
requests/s at ``--concurrency``. "Added" is the target's percentile minus the direct call's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._chat_env import backends, create_agent, new_tenant  # noqa: E402

LITELLM_VERSION = "1.108.7"
LITELLM_VENV = ROOT / ".tools" / "litellm-proxy-venv"
LITELLM_KEY = "sk-bench-" + "0" * 32  # a master key: both gateways authenticate every request
MODEL = "gpt-4o-mini"
WORDS = [
    *("amber", "basil", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "juniper", "kelp"),
    *("lagoon", "maple", "nectar", "olive", "pepper", "quartz", "raven", "saffron", "tundra", "umber", "violet"),
    *("willow", "xenon", "yarrow", "zephyr", "anchor", "beacon", "canyon", "dune", "estuary", "falcon", "glacier"),
]


def _free_port() -> int:
    from core.services import free_port

    return free_port()


def _wait_http(url: str, timeout_s: float = 120.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up within {timeout_s} s")


def ensure_litellm() -> Path:
    """A separate venv with ``litellm[proxy]`` (it pins older versions than this project uses)."""
    binary = LITELLM_VENV / "bin" / "litellm"
    if binary.exists():
        return binary
    print(f"installing litellm[proxy]=={LITELLM_VERSION} into {LITELLM_VENV} (once) ...", flush=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(LITELLM_VENV)
    pip = [str(LITELLM_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, f"litellm[proxy]=={LITELLM_VERSION}"], check=True)
    return binary


def start_litellm(tmp: Path, upstream: str, port: int) -> subprocess.Popen[bytes]:
    config = tmp / "litellm.yaml"
    config.write_text(
        "model_list:\n"
        f"  - model_name: {MODEL}\n"
        "    litellm_params:\n"
        f"      model: openai/{MODEL}\n"
        f"      api_base: {upstream}\n"
        "      api_key: fake-key\n"
        "litellm_settings:\n"
        "  telemetry: false\n"
        "  drop_params: true\n"
    )
    env = {
        **os.environ,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "HF_HUB_OFFLINE": "1",
        "LITELLM_OFFLINE_MODE": "true",
        "LITELLM_LOG": "ERROR",
        "LITELLM_MASTER_KEY": LITELLM_KEY,
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)  # LiteLLM would try to use them; it runs stateless here
    binary = ensure_litellm()
    proc = subprocess.Popen(
        [str(binary), "--config", str(config), "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"],
        env=env,
        stdout=(tmp / "litellm.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    _wait_http(f"http://127.0.0.1:{port}/health/liveliness", 180, proc)
    return proc


def start_fake(tmp: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.fake_llm", "--port", str(port), "--latency-ms", "0"],
        cwd=ROOT,
        stdout=(tmp / "fake.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    _wait_http(f"http://127.0.0.1:{port}/_admin/stats", 60, proc)
    return proc


def start_app(tmp: Path, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=(tmp / "app.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    _wait_http(f"http://127.0.0.1:{port}/healthz", 120, proc)
    return proc


def serve(port: int) -> None:
    """The API as a real server: one uvicorn worker (uvloop/httptools when installed)."""
    import uvicorn

    from va_app.api.app import build_api, with_request_context

    app = with_request_context(build_api())
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")


@dataclass
class Figures:
    name: str
    latencies_ms: list[float]
    rps: float
    errors: int

    def pct(self, q: float) -> float:
        return float(np.percentile(np.asarray(self.latencies_ms), q)) if self.latencies_ms else float("nan")


Call = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def _drive(call: Call, n: int, concurrency: int) -> tuple[list[float], float, int]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    errors = 0
    counter = iter(range(n))
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            for i in counter:
                started = time.perf_counter()
                resp = await call(client, i)
                latencies.append((time.perf_counter() - started) * 1000)
                if resp.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, n / elapsed, errors


async def measure(name: str, call: Call, args: argparse.Namespace, warmup: int = 30) -> Figures:
    await _drive(call, warmup, 4)
    latencies, _, errors = await _drive(call, args.latency_requests, 1)
    _, rps, more_errors = await _drive(call, args.requests, args.concurrency)
    return Figures(name, latencies, rps, errors + more_errors)


def _question(i: int, salt: str) -> str:
    rng = random.Random(f"{salt}-{i}")
    return f"Please summarise {' '.join(rng.sample(WORDS, 9))} for me"


async def run(args: argparse.Namespace, ports: dict[str, int], key: str, slug: str) -> list[Figures]:
    fake = f"http://127.0.0.1:{ports['fake']}/v1/chat/completions"
    ours = f"http://127.0.0.1:{ports['app']}/api/v1"
    lite = f"http://127.0.0.1:{ports['litellm']}/chat/completions" if ports.get("litellm") else None
    h = {"Authorization": f"Bearer {key}"}
    salt = str(time.time())

    def openai_body(i: int) -> dict[str, object]:
        return {"model": MODEL, "messages": [{"role": "user", "content": _question(i, salt)}], "max_tokens": 64}

    async def direct(c: httpx.AsyncClient, i: int) -> httpx.Response:
        return await c.post(fake, json=openai_body(i), headers={"Authorization": "Bearer fake-key"})

    async def miss(c: httpx.AsyncClient, i: int) -> httpx.Response:
        return await c.post(f"{ours}/agents/{slug}/chat", json={"message": _question(i, salt + "m")}, headers=h)

    async def hit(c: httpx.AsyncClient, _i: int) -> httpx.Response:
        return await c.post(f"{ours}/agents/{slug}/chat", json={"message": "Please summarise the hotel"}, headers=h)

    async def passthrough(c: httpx.AsyncClient, i: int) -> httpx.Response:
        return await c.post(f"{ours}/chat/completions", json=openai_body(i + 10**6), headers=h)

    async def litellm(c: httpx.AsyncClient, i: int) -> httpx.Response:
        assert lite is not None
        return await c.post(lite, json=openai_body(i + 2 * 10**6), headers={"Authorization": f"Bearer {LITELLM_KEY}"})

    targets: list[tuple[str, Call]] = [
        ("(a) fake provider, direct", direct),
        ("(b) our chat, cache miss", miss),
        ("(c) our chat, cache hit", hit),
        ("(b') our /chat/completions pass-through", passthrough),
    ]
    if lite:
        targets.append((f"(d) LiteLLM proxy {LITELLM_VERSION}", litellm))
    results = []
    for name, call in targets:
        print(f"measuring {name} ...", flush=True)
        results.append(await measure(name, call, args))
    return results


def report(results: list[Figures], args: argparse.Namespace) -> None:
    base = results[0]
    print(
        f"\nlatency at concurrency 1 ({args.latency_requests} requests), throughput at concurrency "
        f"{args.concurrency} ({args.requests} requests), one server worker each, loopback, 0 ms upstream\n"
    )
    print("| target | req/s | p50 ms | p95 ms | p99 ms | added p50 | added p95 | added p99 | errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        added = [r.pct(q) - base.pct(q) for q in (50, 95, 99)]
        print(
            f"| {r.name} | {r.rps:.0f} | {r.pct(50):.2f} | {r.pct(95):.2f} | {r.pct(99):.2f} | "
            + " | ".join(f"{a:+.2f}" for a in added)
            + f" | {r.errors} |"
        )
    lite = next((r for r in results if r.name.startswith("(d)")), None)
    if lite is not None:
        print()
        for r in results[1:4]:
            print(
                f"{r.name}: {r.rps / lite.rps:.2f}x LiteLLM's req/s; added p50 "
                f"{(r.pct(50) - base.pct(50)) / max(lite.pct(50) - base.pct(50), 1e-9):.2f}x LiteLLM's"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    serve_cmd = sub.add_parser("serve", help="(internal) run the API server")
    serve_cmd.add_argument("--port", type=int, required=True)
    parser.add_argument("--requests", type=int, default=1000, help="requests per target for throughput")
    parser.add_argument("--latency-requests", type=int, default=300, help="requests per target at concurrency 1")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--skip-litellm", action="store_true")
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.port)
        return
    ports = {"fake": _free_port(), "app": _free_port()}
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="va-gateway-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            procs.append(start_fake(tmp, ports["fake"]))
            upstream = f"http://127.0.0.1:{ports['fake']}/v1"
            llm_env = {"LLM__OPENAI_API_KEY": "fake-key", "LLM__OPENAI_BASE_URL": upstream, "LLM__MAX_RETRIES": "0"}
            with backends(tmp, llm_env) as env:
                key, slug = asyncio.run(_seed())
                procs.append(start_app(tmp, env, ports["app"]))
                if not args.skip_litellm:
                    ports["litellm"] = _free_port()
                    procs.append(start_litellm(tmp, upstream, ports["litellm"]))
                results = asyncio.run(run(args, ports, key, slug))
                report(results, args)
        finally:
            for proc in reversed(procs):
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()


async def _seed() -> tuple[str, str]:
    """A tenant, a key without practical rate limits, and an agent allowed only the upstream model."""
    from va_app.api.app import build_api, with_request_context

    _tenant, key = await new_tenant()
    slug = "gateway-bench"
    transport = httpx.ASGITransport(app=with_request_context(build_api()))
    async with httpx.AsyncClient(transport=transport, base_url="http://seed", timeout=60) as api:
        await create_agent(
            api,
            key,
            slug,
            template="support-faq",
            version={
                "model_policy": {"quality_tier": "economy", "allowed_models": [MODEL]},
                "guardrails": {"blocked_topics": [], "pii_masking": True},
            },
        )
    from core import cache, db

    await cache.close()
    await db.dispose()
    return key, slug


if __name__ == "__main__":
    main()
