"""Locust scenarios: a realistic weighted mix of what tenants do with the platform.

Weights (per user, think time 0.2-1 s): chat from a pool of repeated guest questions (mostly
cache hits once warm) 30, unique chat questions (cache misses: embedding, retrieval, router,
provider call) 10, OpenAI-compatible ``/chat/completions`` with the agent as model 10 (half
repeated, half unique), webhook-style event batches into ``/analytics/events`` 15, management
reads (agents 8, API keys 4, audit log 4) and analytics dashboards 4.

Configured by environment (``loadtests/run.py`` sets it): ``VA_KEY`` (an owner key of a tenant
without practical rate limits), ``VA_AGENT`` (the agent's slug). Requests are named by scenario
so the statistics separate cache hits from misses.
"""

from __future__ import annotations

import itertools
import os
import random
import uuid

from locust import HttpUser, between, task

API = "/api/v1"
POOL = [
    "What time is check-in?",
    "What time is check-out?",
    "Is breakfast included?",
    "Do you have parking?",
    "What is the Wi-Fi password?",
    "Is there a swimming pool?",
    "Are pets allowed?",
    "Can I check in early?",
    "How much is late check-out?",
    "Where is the garage entrance?",
    "When is breakfast served?",
    "Are towels provided at the pool?",
]
TOPICS = ["breakfast", "parking", "pool", "pets", "check-in", "check-out", "wifi", "late check-out"]
_counter = itertools.count()


def unique_question() -> str:
    """A question no one asked before: an exact- and semantic-cache miss in most cases."""
    n = next(_counter)
    return f"Guest {uuid.uuid4().hex[:6]} asks about {random.choice(TOPICS)} for booking {n}, room {n % 700}?"


def event_batch(size: int = 20) -> dict[str, object]:
    """Events as a CRM/telephony webhook integration would post them (each with its own id)."""
    events = []
    for _ in range(size):
        events.append(
            {
                "event_id": str(uuid.uuid4()),
                "type": "conversation.logs",
                "source": "loadtest-webhook",
                "payload": {
                    "agent_id": os.environ.get("VA_AGENT", "agent"),
                    "conversation_id": f"lt-{uuid.uuid4().hex[:10]}",
                    "outcome": random.choice(["answered", "answered", "answered", "handoff"]),
                    "latency_ms": round(random.uniform(50, 900), 1),
                    "prompt_tokens": random.randint(100, 800),
                    "completion_tokens": random.randint(10, 200),
                    "cost_usd": round(random.uniform(0, 0.001), 6),
                },
            }
        )
    return {"events": events}


class TenantUser(HttpUser):
    """One integration or console user of one tenant."""

    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {os.environ['VA_KEY']}"
        self.agent = os.environ["VA_AGENT"]

    def _chat(self, message: str, name: str) -> None:
        body = {"message": message, "user_id": "lt"}
        with self.client.post(f"{API}/agents/{self.agent}/chat", json=body, name=name, catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"{resp.status_code}: {resp.text[:200]}")

    @task(30)
    def chat_pool(self) -> None:
        self._chat(random.choice(POOL), "POST chat (pool: cache hits)")

    @task(10)
    def chat_unique(self) -> None:
        self._chat(unique_question(), "POST chat (unique: cache misses)")

    @task(10)
    def openai_completion(self) -> None:
        question = random.choice(POOL) if random.random() < 0.5 else unique_question()
        self.client.post(
            f"{API}/chat/completions",
            json={"model": self.agent, "user": "lt", "messages": [{"role": "user", "content": question}]},
            name="POST /chat/completions",
        )

    @task(15)
    def ingest_events(self) -> None:
        with self.client.post(
            f"{API}/analytics/events", json=event_batch(), name="POST /analytics/events (20)", catch_response=True
        ) as resp:
            if resp.status_code != 202:
                resp.failure(f"{resp.status_code}: {resp.text[:200]}")

    @task(8)
    def list_agents(self) -> None:
        self.client.get(f"{API}/agents?limit=20", name="GET /agents")

    @task(4)
    def list_api_keys(self) -> None:
        self.client.get(f"{API}/api-keys?limit=20", name="GET /api-keys")

    @task(4)
    def audit_logs(self) -> None:
        self.client.get(f"{API}/audit-logs?limit=50", name="GET /audit-logs")

    @task(4)
    def dashboards(self) -> None:
        self.client.get(f"{API}/analytics/dashboards?granularity=hour", name="GET /analytics/dashboards")
