"""CPU cost of the LLM router per call, against the fake provider at zero latency.

    .venv/bin/python benchmarks/llm_router.py                 # 1000 calls per path
    .venv/bin/python benchmarks/llm_router.py --calls 5000

The fake provider runs as its own process (``python -m tools.fake_llm``), so the CPU time
measured here (``time.process_time`` of this process) is the router plus its HTTP client:
what a call costs the web process. Paths: OpenAI and Anthropic wire formats over HTTP, the
offline ``local`` model (router logic alone), and OpenAI through litellm for comparison.
No budgets or usage counters (those add one Redis round trip each, I/O not CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tools/ (the fake provider) is not an installed package

from core.config import LLMSettings, Settings  # noqa: E402
from tools.fake_llm.runner import free_port  # noqa: E402
from va_app.domain.llm.catalog import LOCAL, ModelSpec, ProviderCredential, TenantLLMConfig  # noqa: E402
from va_app.domain.llm.contracts import Attribution, ChatMessage, LLMRequest, ModelPolicy  # noqa: E402
from va_app.domain.llm.router import Router  # noqa: E402

TENANT = uuid.uuid4()


def _config(base: str) -> TenantLLMConfig:
    return TenantLLMConfig(
        credentials={
            "oa": ProviderCredential("oa", "openai", "sk", f"{base}/v1", tenant_owned=True),
            "an": ProviderCredential("an", "anthropic", "sk", base, tenant_owned=True),
            "ll": ProviderCredential("ll", "litellm", "sk", f"{base}/v1", tenant_owned=True),
        },
        models=(
            ModelSpec("oa-model", provider="oa", upstream="bench", tier="standard", input_per_1k=0.001),
            ModelSpec("an-model", provider="an", upstream="bench", tier="standard", input_per_1k=0.001),
            ModelSpec("ll-model", provider="ll", upstream="openai/bench", tier="standard", input_per_1k=0.001),
        ),
    )


def _request(model: str) -> LLMRequest:
    return LLMRequest(
        messages=(
            ChatMessage("system", "You are the concierge of a hotel. Answer briefly."),
            ChatMessage("user", "What time is breakfast served on Sundays?"),
        ),
        policy=ModelPolicy(max_output_tokens=64),
        attribution=Attribution(TENANT, agent_id="concierge", key_id="k"),
        knowledge=("Breakfast is served from 7 to 10 am, on Sundays until 11 am.",),
        model=model,
    )


async def _measure(router: Router, model: str, calls: int) -> tuple[float, float]:
    request = _request(model)
    for _ in range(20):  # warm up: connections, caches, lazy imports
        await router.complete(request)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(calls):
        await router.complete(request)
    return (time.process_time() - cpu0) / calls * 1000, (time.perf_counter() - wall0) / calls * 1000


async def main(calls: int, litellm: bool) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tools.fake_llm", "--port", str(port), "--latency-ms", "0"], cwd=ROOT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{base}/_admin/stats")
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        config = _config(base)

        async def loader(_tenant: uuid.UUID) -> TenantLLMConfig:
            return config

        router = Router(settings=Settings(llm=LLMSettings()), config_loader=loader)
        paths = [("openai wire (httpx)", "oa-model"), ("anthropic wire (httpx)", "an-model")]
        paths.append(("local (no HTTP)", LOCAL))
        if litellm:
            paths.append(("litellm.acompletion", "ll-model"))
        print(f"{calls} sequential complete() calls per path, fake provider at 0 ms latency")
        for label, model in paths:
            runs = [await _measure(router, model, calls) for _ in range(3)]
            cpu = statistics.median(r[0] for r in runs)
            wall = statistics.median(r[1] for r in runs)
            print(f"  {label:<24} CPU {cpu:6.3f} ms/call   wall {wall:6.3f} ms/call")
    finally:
        server.terminate()
        server.wait(5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--no-litellm", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.calls, not args.no_litellm))
