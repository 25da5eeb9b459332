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
