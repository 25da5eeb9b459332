"""Inbound webhook throughput and end-to-end latency on this machine.

Signed Slack events are posted to ``/api/v1/integrations/webhook/{id}`` (in-process ASGI, so
the figure is the app's, not a load generator's); the integration worker consumes them from
the bus, asks the hotel agent (offline ``local`` provider) and posts the reply to a fake
Slack over real loopback HTTP. Reported: accepted webhooks/s (the 2xx path: verify, dedupe,
enqueue), processed events/s (webhook -> agent -> reply sent), p50/p95 end-to-end latency,
and the multiple of the spec's 50,000 integration events/hour.

Run: ``.venv/bin/python benchmarks/webhook_throughput.py [events]``
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._chat_env import API, backends, create_agent, new_tenant

SPEC_PER_HOUR = 50_000
QUESTIONS = ["Is breakfast included?", "Do you have parking?", "Are pets allowed?", "What time is check-out?"]
FAQ = b"""question,answer
Is breakfast included?,Breakfast is served from 6:30 to 10:30 and is included in every room rate.
Do you have parking?,Valet parking costs 35 EUR per night.
Are pets allowed?,Dogs under 10 kg are welcome for 25 EUR per night.
What time is check-out?,Check-out is at 11:00.
"""


async def run(n: int) -> None:
    from tools.fake_providers import senders
    from tools.fake_providers import server as fake
    from va_app.api.app import build_api, with_request_context
    from va_app.domain.integrations import worker

    logging.disable(logging.WARNING)
    providers = fake.FakeProviders().start()
    _tenant, key = await new_tenant()
    transport = httpx.ASGITransport(app=with_request_context(build_api()))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as api:
        await create_agent(api, key, "hotel", faq_csv=FAQ)
        body = {
            "kind": "slack",
            "name": "bench",
            "credentials": {"bot_token": fake.SLACK_TOKEN, "signing_secret": "bench"},
            "config": {"agent": "hotel", "api_base": f"{providers.base}/slack/api"},
        }
        resp = await api.post(f"{API}/integrations/connect", json=body, headers={"Authorization": f"Bearer {key}"})
        resp.raise_for_status()
        url = f"{API}/integrations/webhook/{resp.json()['id']}"
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop, block_ms=20))
        await asyncio.sleep(0.3)

        sent_at: dict[str, float] = {}
        sem = asyncio.Semaphore(32)

        async def post(i: int) -> None:
            channel = f"C{i:07d}"
            data, headers = senders.slack_event("bench", QUESTIONS[i % len(QUESTIONS)], channel=channel)
            async with sem:
                sent_at[channel] = time.perf_counter()
                r = await api.post(url, content=data, headers=headers)
                r.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(post(i) for i in range(n)))
        accepted_s = time.perf_counter() - started
        await providers.wait_for("slack", n, timeout=600)
        total_s = time.perf_counter() - started
        stop.set()
        await asyncio.wait_for(task, 10)
    providers.stop()
    latencies = sorted((c.at - sent_at[c.json()["channel"]]) * 1000 for c in providers.of("slack"))
    per_hour = n / total_s * 3600
    print(f"events: {n}")
    print(f"webhooks accepted (2xx, enqueued): {n / accepted_s:,.0f}/s")
    print(f"processed end to end (webhook -> agent -> reply sent): {n / total_s:,.1f}/s = {per_hour:,.0f}/hour")
    p95 = latencies[int(len(latencies) * 0.95)]
    print(f"end-to-end latency under a burst: p50 {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms")
    print(f"spec 50,000 integration events/hour: {per_hour / SPEC_PER_HOUR:.1f}x on this machine (one web process)")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory(prefix="va-bench-") as tmp, backends(Path(tmp)):
        asyncio.run(run(n))


if __name__ == "__main__":
    main()
