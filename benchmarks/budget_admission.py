"""Benchmark: how much of a hard budget 200 concurrent chat turns can spend, and overshoot.

    .venv/bin/python benchmarks/budget_admission.py [--concurrency 200] [--worth 20,60,120,180]

A hotel agent (standard tier) answers through the real runtime and router: real PostgreSQL
and Redis in a temporary directory, the API in process, and OpenAI's catalog models reached
through the fake provider (OpenAI wire format, ``--latency-ms`` per call), so the router sees
the real prices and fallbacks (gpt-4o-mini first, gpt-4o ~16x dearer behind it). Answers
vary in length with the question, as real ones do; the answer caches are off so every turn
costs money.

For each budget size, a fresh agent gets a hard daily budget worth ``N`` average turns
(measured first, without a budget), then ``--concurrency`` distinct questions arrive at once.
Printed per size: turns admitted and refused, real spend (the ledger's settled total) as a
share of the limit (goal >= 90 %), overshoot (goal 0), and what is still reserved (must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from benchmarks._chat_env import API, backends, create_agent, new_tenant

FAQ = b"""question,answer
What time is check-in?,Check-in starts at 15:00; early check-in from 12:00 is possible on request.
What time is check-out?,Check-out is at 11:00. Late check-out until 14:00 costs 30 EUR.
Is breakfast included?,Breakfast is served from 6:30 to 10:30 in the Atrium and is included in every room rate.
Do you have parking?,Valet parking costs 35 EUR per night; the garage entrance is on Rue Cambon.
Is there a swimming pool?,The indoor pool on level -1 is open from 7:00 to 21:00 and towels are provided.
"""
TOPICS = ("breakfast", "check-in", "check-out", "parking", "the pool", "late check-out")
FILLERS = ("please", "for two adults", "with a baby", "next Friday", "after a long flight", "for a business trip")


def _question(rng: random.Random, n: int) -> str:
    extra = " ".join(rng.choice(FILLERS) for _ in range(rng.randint(0, 12)))
    return f"Guest {n}: what about {rng.choice(TOPICS)} {extra}?".replace(" ?", "?")


async def _turn(api: httpx.AsyncClient, h: dict[str, str], slug: str, text: str) -> httpx.Response:
    return await api.post(f"{API}/agents/{slug}/chat", json={"message": text}, headers=h)


async def _ledger(tenant_id: str, budget_id: str) -> tuple[float, float]:
    from core.cache import get_redis
    from va_app.domain.llm.ledger import NANO, budget_prefix, period_ids

    day, _ = period_ids(dt.datetime.now(dt.UTC))
    settled, reserved = await get_redis().hmget(f"{budget_prefix(tenant_id)}{budget_id}:{day}", "settled", "reserved")
    return int(settled or 0) / NANO, int(reserved or 0) / NANO


async def main_async(args: argparse.Namespace) -> None:
    from core.config import get_settings
    from tools.fake_llm import FakeLLMServer
    from va_app.api.app import build_api, with_request_context

    get_settings().chat.cache_enabled = False  # every turn reaches the model and costs money
    rng = random.Random(args.seed)
    transport = httpx.ASGITransport(app=with_request_context(build_api()))
    with FakeLLMServer() as fake:
        httpx.post(f"{fake.base_url}/_admin/config", json={"latency_ms": args.latency_ms}).raise_for_status()
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=120) as api:
            tenant_id, key = await new_tenant()
            h = {"Authorization": f"Bearer {key}"}
            stored = await api.put(
                f"{API}/llm/providers/openai", json={"api_key": "sk-bench", "base_url": fake.openai_base_url}, headers=h
            )
            stored.raise_for_status()
            rows = []
            for worth in args.worth:
                slug = f"budget-{worth}"
                agent_id = await create_agent(api, key, slug, faq_csv=FAQ, variables={"property_name": "Aurelia"})
                costs = []
                for n in range(10):  # the average turn, measured before any budget applies
                    resp = await _turn(api, h, slug, _question(rng, n))
                    resp.raise_for_status()
                    costs.append(resp.json()["cost_usd"])
                mean = statistics.fmean(costs)
                limit = round(worth * mean, 9)
                budget = await api.post(
                    f"{API}/budgets",
                    json={"scope": "agent", "scope_id": agent_id, "period": "daily", "limit_usd": limit, "hard": True},
                    headers=h,
                )
                budget.raise_for_status()
                questions = [_question(rng, 1000 + n) for n in range(args.concurrency)]
                started = time.perf_counter()
                responses = await asyncio.gather(*(_turn(api, h, slug, q) for q in questions))
                elapsed = time.perf_counter() - started
                statuses = [r.status_code for r in responses]
                unexpected = sorted({s for s in statuses if s not in (200, 429)})
                settled, reserved = await _ledger(tenant_id, budget.json()["id"])
                rows.append(
                    (
                        worth,
                        mean,
                        limit,
                        statuses.count(200),
                        statuses.count(429),
                        unexpected,
                        settled,
                        reserved,
                        elapsed,
                    )
                )
    print(
        f"\n{args.concurrency} concurrent turns per budget; fake provider latency {args.latency_ms:.0f} ms; "
        "agent tier standard (gpt-4o-mini first, gpt-4o behind it)\n"
    )
    print("| budget (avg turns) | limit USD | admitted | refused | real spend | overshoot | left reserved | wall s |")
    print("|---|---|---|---|---|---|---|---|")
    for worth, mean, limit, ok, refused, unexpected, settled, reserved, elapsed in rows:
        other = f" (other statuses: {unexpected})" if unexpected else ""
        print(
            f"| {worth} (avg turn ${mean:.7f}) | {limit:.6f} | {ok} | {refused}{other} | "
            f"**{100 * settled / limit:.1f} %** | {max(0.0, settled - limit):.9f} | {reserved:.9f} | {elapsed:.1f} |"
        )
    worst = min(100 * r[6] / r[2] for r in rows)
    overshoot = max(max(0.0, r[6] - r[2]) for r in rows)
    print(f"\nworst admitted spend {worst:.1f} % (goal >= 90 %); worst overshoot {overshoot:.9f} USD (goal 0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument(
        "--worth", type=lambda v: [int(x) for x in v.split(",")], default=[20, 60, 120, 180], help="budget sizes"
    )
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="va-budget-bench-") as tmp, backends(Path(tmp)):
        asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
