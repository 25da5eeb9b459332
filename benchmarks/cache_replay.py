"""Benchmark: how much the answer caches save on a replayed FAQ workload, and whether cached
answers are right.

    .venv/bin/python benchmarks/cache_replay.py [--queries 400] [--seed 7]

A hotel agent answers from a 15-question FAQ through the real runtime (offline ``local``
provider, real PostgreSQL/pgvector and Redis in a temporary directory). The replay draws
topics with a Zipf-like popularity, a random paraphrase per topic (4 per topic, written by
hand, including near misses such as check-in vs check-out) and, for a third of queries, a
change of case/punctuation. Every query is a new conversation.

1. **Baseline**: caches off; every query reaches the model. Its cost is the reference.
2. **Cached** runs, one fresh agent version each (an empty cache): the default (semantic hits
   must be grounded in the same top chunk), then similarity alone at several thresholds.

3. **Adversarial near-duplicates** (``benchmarks/cache_adversarial.py``, a held-out set written
   before the cache's meaning rules): each pair is asked on an empty cache, first question then
   second; a semantic hit on the second is a *wrong cached answer* unless the pair is a
   paraphrase control. Run on the hotel agent (knowledge, ``local`` model) and on an agent
   without knowledge answering through the fake LLM server's OpenAI wire, with its semantic cache
   left at the default (off) and turned on by the operator (``guardrails.semantic_cache: on``);
   each also without the meaning key, to show what it prevents.

The ``local`` model is free, so cost is what the same tokens would cost on a priced model
(``--price-in``/``--price-out`` USD per 1M tokens, gpt-4o-mini's list price by default). A
reply is *right* when it contains its topic's key fact (e.g. "15:00" for check-in).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from benchmarks._chat_env import API, backends, create_agent, deploy, new_tenant, new_version
from benchmarks.cache_adversarial import GENERIC, HOTEL, Pair

# topic: (FAQ question, FAQ answer, key fact, paraphrases)
TOPICS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "check_in": (
        "What time is check-in?",
        "Check-in starts at 15:00; early check-in from 12:00 is possible on request.",
        "15:00",
        ("What time is check-in?", "When can I check in?", "What time can I check into my room?", "check in time?"),
    ),
    "check_out": (
        "What time is check-out?",
        "Check-out is at 11:00 on the day of departure.",
        "11:00",
        (
            "What time is check-out?",
            "When do I need to check out?",
            "What time do I have to check out by?",
            "check out time?",
        ),
    ),
    "late_checkout": (
        "Can I have a late check-out?",
        "Late check-out until 14:00 costs 30 EUR, subject to availability.",
        "14:00",
        (
            "Can I have a late check-out?",
            "How much does late check-out cost?",
            "Is a late checkout possible?",
            "Could I check out late?",
        ),
    ),
    "breakfast": (
        "Is breakfast included?",
        "Breakfast is served from 6:30 to 10:30 in the Atrium and is included in every room rate.",
        "6:30",
        (
            "Is breakfast included?",
            "Is breakfast included in the room rate?",
            "Do I get breakfast with my room?",
            "What time is breakfast served?",
        ),
    ),
    "dinner": (
        "What time is dinner served?",
        "Le Jardin serves dinner from 19:00 to 22:30; reservations are recommended.",
        "19:00",
        (
            "What time is dinner served?",
            "When is the restaurant open for dinner?",
            "Can I have dinner at the hotel?",
            "dinner hours?",
        ),
    ),
    "parking": (
        "Do you have parking?",
        "Valet parking costs 35 EUR per night; the garage entrance is on Rue Cambon.",
        "35 EUR",
        (
            "Do you have parking?",
            "Is there parking at the hotel?",
            "How much is valet parking?",
            "Where can I park my car?",
        ),
    ),
    "wifi": (
        "What is the Wi-Fi password?",
        "Join the network Aurelia-Guest; the password is printed on your key card sleeve.",
        "Aurelia-Guest",
        (
            "What is the Wi-Fi password?",
            "What's the wifi password?",
            "How do I connect to the wifi?",
            "Which wifi network should I join?",
        ),
    ),
    "pool": (
        "Is there a swimming pool?",
        "The indoor pool on level -1 is open from 7:00 to 21:00 and towels are provided.",
        "7:00 to 21:00",
        (
            "Is there a swimming pool?",
            "Do you have a pool?",
            "What are the pool opening hours?",
            "When is the swimming pool open?",
        ),
    ),
    "gym": (
        "Is there a gym?",
        "The fitness room on level 2 is open 24 hours with your key card.",
        "fitness room",
        ("Is there a gym?", "Do you have a fitness room?", "Can I work out at the hotel?", "gym hours?"),
    ),
    "spa": (
        "Do you have a spa?",
        "The spa offers massages from 10:00 to 20:00; book at the front desk.",
        "massages",
        ("Do you have a spa?", "Can I book a massage?", "Is there a spa in the hotel?", "spa opening times?"),
    ),
    "pets": (
        "Are pets allowed?",
        "Dogs under 10 kg are welcome for 25 EUR per night.",
        "10 kg",
        ("Are pets allowed?", "Can I bring my dog?", "Do you accept dogs?", "Is the hotel pet friendly?"),
    ),
    "airport": (
        "How do I get from the airport?",
        "A taxi from Charles de Gaulle takes about 45 minutes; we can book a private car for 120 EUR.",
        "Charles de Gaulle",
        (
            "How do I get from the airport?",
            "How far is the airport?",
            "Can you book an airport transfer?",
            "Taxi from the airport to the hotel?",
        ),
    ),
    "room_service": (
        "Is there room service?",
        "Room service is available 24 hours a day from the in-room menu.",
        "in-room menu",
        (
            "Is there room service?",
            "Can I order food to my room?",
            "Do you have 24 hour room service?",
            "room service menu?",
        ),
    ),
    "laundry": (
        "Do you offer laundry service?",
        "Laundry handed in before 9:00 is returned the same day by 18:00.",
        "before 9:00",
        (
            "Do you offer laundry service?",
            "Can I get my clothes washed?",
            "Is there a laundry service?",
            "How does dry cleaning work?",
        ),
    ),
    "luggage": (
        "Can you store my luggage?",
        "The concierge stores luggage free of charge before check-in and after check-out.",
        "stores luggage",
        (
            "Can you store my luggage?",
            "Can I leave my bags after checkout?",
            "Is there luggage storage?",
            "Where can I keep my suitcase before check-in?",
        ),
    ),
}


def faq_csv() -> bytes:
    rows = ["question,answer"] + [f'"{q}","{a}"' for q, a, _, _ in TOPICS.values()]
    return ("\n".join(rows) + "\n").encode()


def workload(n: int, seed: int) -> list[tuple[str, str]]:
    """``(topic, question)`` pairs: Zipf-like topic popularity, random paraphrase and surface noise."""
    rng = random.Random(seed)
    topics = list(TOPICS)
    rng.shuffle(topics)
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(topics))]
    out = []
    for _ in range(n):
        topic = rng.choices(topics, weights)[0]
        question = rng.choice(TOPICS[topic][3])
        if rng.random() < 1 / 3:
            question = rng.choice([question.lower(), question.upper(), question.rstrip("?") + " ?", question + "!!"])
        out.append((topic, question))
    return out


@dataclass
class RunResult:
    name: str
    cost: float
    kinds: Counter[str]
    right: Counter[str]
    same: Counter[str]  # cached replies identical to what the model said for that question
    harmful: int  # hits missing the key fact the uncached answer had
    replies: dict[str, str]
    wrong_examples: list[tuple[str, str, str]]
    latency: dict[str, list[float]]


async def replay(
    api: httpx.AsyncClient,
    key: str,
    slug: str,
    queries: list[tuple[str, str]],
    name: str,
    price: tuple[float, float],
    reference: dict[str, str] | None = None,
) -> RunResult:
    """Replay ``queries``; ``reference``: the uncached reply per question, to check cached ones against."""
    h = {"Authorization": f"Bearer {key}"}
    cost, kinds, right, same = 0.0, Counter[str](), Counter[str](), Counter[str]()
    replies: dict[str, str] = {}
    harmful = 0
    wrong: list[tuple[str, str, str]] = []
    latency: dict[str, list[float]] = defaultdict(list)
    for topic, question in queries:
        started = time.perf_counter()
        resp = await api.post(f"{API}/agents/{slug}/chat", json={"message": question}, headers=h)
        elapsed = (time.perf_counter() - started) * 1000
        resp.raise_for_status()
        body = resp.json()
        kind = body["cached"]
        kinds[kind] += 1
        latency[kind].append(elapsed)
        if kind == "none":
            cost += (body["usage"]["prompt_tokens"] * price[0] + body["usage"]["completion_tokens"] * price[1]) / 1e6
        replies[question] = body["reply"]
        if reference is not None and reference.get(question) == body["reply"]:
            same[kind] += 1
        fact = TOPICS[topic][2]
        if fact in body["reply"]:
            right[kind] += 1
        elif kind != "none" and reference is not None and fact in reference.get(question, ""):
            harmful += 1
        if reference is not None and reference.get(question) != body["reply"] and len(wrong) < 5 and kind != "none":
            wrong.append((question, kind, body["reply"][:90]))
    return RunResult(name, cost, kinds, right, same, harmful, replies, wrong, latency)


def _row(result: RunResult, baseline: RunResult, total: int) -> str:
    hits = result.kinds["exact"] + result.kinds["semantic"]
    same = result.same["exact"] + result.same["semantic"]
    saved = 1 - result.cost / baseline.cost if baseline.cost else 0.0
    accuracy = sum(result.right.values()) / total
    return (
        f"| {result.name} | {result.kinds['exact'] / total:.0%} | {result.kinds['semantic'] / total:.0%} | "
        f"{saved:.1%} | {same}/{hits} ({(same / hits if hits else 1):.1%}) | {result.harmful} | "
        f"{accuracy:.1%} (uncached {sum(baseline.right.values()) / total:.1%}) |"
    )


@dataclass
class PairResult:
    name: str
    wrong: int  # semantic hits on pairs that mean different things
    adversarial: int
    paraphrase_hits: int
    paraphrases: int
    examples: list[tuple[str, str]]


async def replay_pairs(
    api: httpx.AsyncClient, key: str, tenant: str, slug: str, agent_id: str, pairs: tuple[Pair, ...], name: str
) -> PairResult:
    """Each pair on an empty cache: ask the first question, then the second; count semantic hits."""
    import uuid

    from va_app.domain.conversations import cache

    h = {"Authorization": f"Bearer {key}"}
    result = PairResult(name, 0, 0, 0, 0, [])
    for kind, first, second in pairs:
        await cache.invalidate_agent(uuid.UUID(tenant), uuid.UUID(agent_id))
        for question in (first, second):
            resp = await api.post(f"{API}/agents/{slug}/chat", json={"message": question}, headers=h)
            resp.raise_for_status()
        hit = resp.json()["cached"] == "semantic"
        if kind == "paraphrase":
            result.paraphrases += 1
            result.paraphrase_hits += hit
        else:
            result.adversarial += 1
            result.wrong += hit
            if hit and len(result.examples) < 4:
                result.examples.append((first, second))
    return result


async def adversarial_runs(api: httpx.AsyncClient, key: str, tenant: str, slug: str) -> list[PairResult]:
    """Held-out near-duplicates: hotel agent (knowledge) and an agent without knowledge (fake LLM)."""
    from tools.fake_llm import FakeLLMServer
    from va_app.domain.conversations import cache

    h = {"Authorization": f"Bearer {key}"}
    hotel_id = (await api.get(f"{API}/agents/{slug}", headers=h)).json()["id"]
    results = [await replay_pairs(api, key, tenant, slug, hotel_id, HOTEL, "hotel agent (knowledge), default")]
    with FakeLLMServer() as fake:
        model = {"name": "echo", "upstream": "echo", "tier": "standard", "input_per_1k": 0.00015}
        provider = {"api_key": "sk-bench", "base_url": fake.openai_base_url, "wire": "openai", "models": [model]}
        (await api.put(f"{API}/llm/providers/bench", json=provider, headers=h)).raise_for_status()
        bare = "replay-no-knowledge"
        no_kb = {"knowledge_base_ids": [], "model_policy": {"allowed_models": ["echo"]}}
        no_kb["handoff_rules"] = {"on_intents": [], "on_keywords": []}
        bare_id = await create_agent(api, key, bare, version=no_kb, template="hotel-concierge")
        results.append(await replay_pairs(api, key, tenant, bare, bare_id, GENERIC, "no knowledge, default (off)"))
        on = {**no_kb, "guardrails": {"pii_masking": True, "blocked_topics": [], "semantic_cache": "on"}}
        await deploy(api, key, bare, await new_version(api, key, bare, on))
        results.append(await replay_pairs(api, key, tenant, bare, bare_id, GENERIC, "no knowledge, semantic_cache on"))
        real_key = cache.meaning_key
        cache.meaning_key = lambda _question: ""  # for comparison only: similarity (and chunk) alone
        try:
            name = "  same, without the meaning key"
            results.append(await replay_pairs(api, key, tenant, bare, bare_id, GENERIC, name))
            await deploy(api, key, slug, await new_version(api, key, slug, {"change_note": "no meaning key"}))
            name = "  hotel, without the meaning key"
            results.append(await replay_pairs(api, key, tenant, slug, hotel_id, HOTEL, name))
        finally:
            cache.meaning_key = real_key
    return results


async def main_async(args: argparse.Namespace) -> None:
    from core.config import get_settings
    from va_app.api.app import build_api, with_request_context

    queries = workload(args.queries, args.seed)
    price = (args.price_in, args.price_out)
    transport = httpx.ASGITransport(app=with_request_context(build_api()))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as api:
        tenant, key = await new_tenant()
        slug = "replay-hotel"
        await create_agent(api, key, slug, faq_csv=faq_csv(), variables={"property_name": "Aurelia Paris"})
        chat = get_settings().chat
        chat.cache_enabled = False
        baseline = await replay(api, key, slug, queries, "no cache (baseline)", price)
        chat.cache_enabled = True
        results = []
        default = chat.semantic_cache_threshold
        ungrounded_default = chat.semantic_cache_threshold_ungrounded
        configs: list[tuple[str, float, bool]] = [(f"default: grounded, >= {default}", default, True)]
        configs += [(f"no top-chunk check, >= {t}", t, False) for t in (0.8, 0.85, 0.9, 0.95)]
        for name, threshold, grounded in configs:
            number = await new_version(api, key, slug, {"change_note": name})  # an empty cache partition
            await deploy(api, key, slug, number)
            chat.semantic_cache_grounded = grounded
            chat.semantic_cache_threshold = threshold
            chat.semantic_cache_threshold_ungrounded = threshold
            results.append(await replay(api, key, slug, queries, name, price, baseline.replies))
        chat.semantic_cache_grounded = True
        chat.semantic_cache_threshold = default
        chat.semantic_cache_threshold_ungrounded = ungrounded_default
        await deploy(api, key, slug, await new_version(api, key, slug, {"change_note": "adversarial"}))
        pairs = await adversarial_runs(api, key, tenant, slug)
    total = len(queries)
    print(f"\nReplay: {total} queries over {len(TOPICS)} FAQ topics (4 paraphrases each), seed {args.seed}")
    print(f"baseline: every query answered by the model, cost ${baseline.cost:.5f} at ${price[0]}/${price[1]} per 1M")
    print(f"baseline answers right: {sum(baseline.right.values()) / total:.1%}\n")
    print(
        "| run | exact hits | semantic hits | cost saved | cached = uncached answer | wrong-fact hits | "
        "right key fact |"
    )
    print("|---|---|---|---|---|---|---|")
    for result in results:
        print(_row(result, baseline, total))
    print()
    saved = 1 - results[0].cost / baseline.cost if baseline.cost else 0.0
    wrong_default = results[0].harmful
    print(f"\ndefault configuration: cost saved {saved:.1%} (goal >= 60 %)")
    print("\nAdversarial near-duplicates (held-out, benchmarks/cache_adversarial.py), each pair on an empty cache:\n")
    print("| run | wrong cached answers (goal 0) | paraphrase hits |")
    print("|---|---|---|")
    for pair in pairs:
        print(f"| {pair.name} | {pair.wrong}/{pair.adversarial} | {pair.paraphrase_hits}/{pair.paraphrases} |")
    wrong_pairs = sum(p.wrong for p in pairs if "without the meaning key" not in p.name)
    print(f"\nwrong cached answers with the shipped rules: {wrong_pairs + wrong_default} (goal 0)")
    for pair in pairs:
        for first, second in pair.examples:
            print(f"    {pair.name}: {second!r} got the answer to {first!r}")
    print()
    for result in results:
        lat = {k: statistics.median(v) for k, v in result.latency.items() if v}
        print(f"{result.name}: median ms by kind " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(lat.items())))
        for question, kind, reply in result.wrong_examples:
            print(f"    {kind} hit differing from the uncached answer: {question!r} -> {reply!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--price-in", type=float, default=0.15, help="USD per 1M prompt tokens")
    parser.add_argument("--price-out", type=float, default=0.60, help="USD per 1M completion tokens")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="va-cache-replay-") as tmp, backends(Path(tmp)):
        asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
