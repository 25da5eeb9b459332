"""Prometheus metrics shared by every process kind (web, ingest worker).

One registry per process; the web process serves it at ``/metrics``.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "va_http_requests_total", "HTTP requests by route and status", ["method", "route", "status"], registry=REGISTRY
)
HTTP_LATENCY = Histogram(
    "va_http_request_duration_seconds",
    "HTTP request latency by route",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
EVENTS_PUBLISHED = Counter(
    "va_events_published_total", "Events accepted and published to the bus", ["type"], registry=REGISTRY
)
EVENTS_REJECTED = Counter(
    "va_events_rejected_total", "Events rejected at the API (sent to dead letters)", ["type"], registry=REGISTRY
)
INGESTED = Counter("va_ingest_events_total", "Events written to the analytics store", ["topic"], registry=REGISTRY)
DUPLICATES_DROPPED = Counter(
    "va_ingest_duplicates_dropped_total",
    "Events the ingest worker dropped because the same event (tenant, event_id) was already written",
    ["topic"],
    registry=REGISTRY,
)
DEAD_LETTERS = Counter(
    "va_ingest_dead_letters_total", "Events the ingest worker could not process", ["topic"], registry=REGISTRY
)
INGEST_BATCH_SECONDS = Histogram(
    "va_ingest_batch_seconds",
    "Time to process and write one batch",
    ["topic"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
BUS_LAG = Gauge(
    "va_bus_consumer_lag", "Messages not yet acknowledged by the group", ["topic", "group"], registry=REGISTRY
)

# --- LLM calls, answer caches, budgets (web processes) ---------------------------------------
LLM_CALLS = Counter(
    "va_llm_calls_total",
    "Provider calls by provider, model and outcome (ok or the error kind)",
    ["provider", "model", "outcome"],
    registry=REGISTRY,
)
LLM_LATENCY = Histogram(
    "va_llm_call_duration_seconds",
    "Latency of one provider call (one attempt), by provider and model",
    ["provider", "model"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
LLM_TOKENS = Counter(
    "va_llm_tokens_total",
    "Tokens reported by providers, by kind (prompt, completion)",
    ["provider", "model", "kind"],
    registry=REGISTRY,
)
LLM_COST = Counter("va_llm_cost_usd_total", "Cost of answered calls in USD", ["provider", "model"], registry=REGISTRY)
LLM_ERRORS = Counter(
    "va_llm_errors_total", "Failed provider attempts by error kind", ["provider", "model", "kind"], registry=REGISTRY
)
CACHE_HITS = Counter(
    "va_chat_cache_hits_total", "Chat turns answered from a cache, by kind", ["kind"], registry=REGISTRY
)
CACHE_MISSES = Counter(
    "va_chat_cache_misses_total", "Cacheable chat turns that had to call the LLM router", registry=REGISTRY
)
BUDGET_REJECTIONS = Counter(
    "va_llm_budget_rejections_total", "LLM calls refused by a hard budget, by period", ["period"], registry=REGISTRY
)
