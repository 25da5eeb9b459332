"""Tracing and LLM metrics end to end: one chat request gives linked spans API -> chat -> router
-> provider, its turn event carries the trace on the bus, and the ingest batch span links back
to it; the LLM and cache counters show up in ``/metrics``.

Spans go to an in-memory exporter (synchronous processor), so the assertions see every span
as soon as it ends; tracing is switched off again afterwards (it is off by default)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from core import cache, tracing
from core.bus import BusMessage
from core.bus_redis import stream_name
from ingest.consumer import TopicIngestor
from ingest.dedup import DedupWindow
from ingest.manifest import ManifestStore
from tests.chat_setup import API, hotel_agent
from va_app.domain.conversations import events

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    assert tracing.setup_tracing("va-test", exporter, simple=True)
    yield exporter
    tracing.shutdown_tracing()


class _OneShotConsumer:
    """A bus consumer that hands out the given messages once (the ingest loop's only input)."""

    def __init__(self, messages: list[BusMessage]) -> None:
        self.messages = messages
        self.acked: list[BusMessage] = []

    async def fetch(self, max_messages: int | None = None, timeout_ms: int | None = None) -> list[BusMessage]:
        out, self.messages = self.messages, []
        return out

    async def ack(self, messages: list[BusMessage]) -> None:
        self.acked.extend(messages)


def _by_name(exporter: InMemorySpanExporter) -> dict[str, Any]:
    return {s.name: s for s in exporter.get_finished_spans()}


async def test_a_chat_request_is_one_trace_from_api_to_provider_and_into_ingest(
    api: httpx.AsyncClient, spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    hotel = await hotel_agent(api)
    spans.clear()
    question = f"What time is check-in? ({uuid.uuid4().hex[:6]})"  # unique: a cache miss
    resp = await api.post(f"{API}/agents/{hotel.slug}/chat", json={"message": question}, headers=hotel.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["cached"] == "none"

    found = _by_name(spans)
    server = next(s for s in found.values() if s.name.startswith("POST /api/v1/agents/"))
    chat_llm, route, provider = found["chat.llm"], found["llm.route"], found["llm.provider"]
    trace_id = server.context.trace_id
    assert {s.context.trace_id for s in (found["chat.prepare"], chat_llm, route, provider)} == {trace_id}
    assert found["chat.prepare"].parent.span_id == server.context.span_id
    assert chat_llm.parent.span_id == server.context.span_id
    assert route.parent.span_id == chat_llm.context.span_id
    assert provider.parent.span_id == route.context.span_id
    assert provider.attributes["model"] == resp.json()["model"]
    assert server.attributes["http.route"].endswith("/chat")

    # The turn event went out on the bus with the request's trace context ...
    await events.flush()
    messages: list[BusMessage] = []
    for entry_id, fields in await cache.get_redis().xrange(stream_name("conversation.logs")):
        body = orjson.loads(fields[b"v"])
        if any(e["tenant_id"] == str(hotel.tenant.tenant_id) for e in body["events"]):
            messages.append(
                BusMessage("conversation.logs", str(hotel.tenant.tenant_id), fields[b"v"], entry_id.decode())
            )
    assert messages
    traceparents = [tracing.traceparent_of(m.value) for m in messages]
    assert all(tp and tp.split("-")[1] == f"{trace_id:032x}" for tp in traceparents), traceparents

    # ... and the ingest worker's batch span links to it (the write itself is not under test here).
    consumer = _OneShotConsumer(messages)
    ingestor = TopicIngestor(
        "conversation.logs",
        consumer,  # type: ignore[arg-type]
        ManifestStore(cache.get_redis(), f"trace-test-{uuid.uuid4().hex[:6]}", "conversation.logs"),
        1000,
        DedupWindow(cache.get_redis(), 60),
    )

    async def no_write(*_: object) -> None:
        return None

    monkeypatch.setattr(ingestor, "write_unit", no_write)
    assert await ingestor.handle_once() == len(messages)
    batch = _by_name(spans)["ingest.batch"]
    assert batch.attributes["messages"] == len(messages)
    assert trace_id in {link.context.trace_id for link in batch.links}
    assert batch.context.trace_id != trace_id  # its own trace: one batch serves many requests


async def test_log_lines_carry_the_trace_id_inside_a_span(spans: InMemorySpanExporter) -> None:
    import logging

    from core.logs import JsonFormatter

    record = logging.LogRecord("t", logging.INFO, __file__, 1, "hello", (), None)
    assert "trace_id" not in orjson.loads(JsonFormatter().format(record))
    with tracing.span("work") as current:
        assert current is not None
        line = orjson.loads(JsonFormatter().format(record))
    assert line["trace_id"] == f"{current.get_span_context().trace_id:032x}"


async def test_tracing_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    tracing.shutdown_tracing()
    with tracing.span("nothing", a=1) as current:
        assert current is None
        assert tracing.current_traceparent() is None
    assert not tracing.enabled()


async def test_llm_and_cache_metrics_after_chat_calls(api: httpx.AsyncClient) -> None:
    hotel = await hotel_agent(api)
    question = f"Is breakfast included? {uuid.uuid4().hex[:6]}"
    for _ in range(2):  # a miss (router call), then an exact cache hit
        resp = await api.post(f"{API}/agents/{hotel.slug}/chat", json={"message": question}, headers=hotel.headers)
        assert resp.status_code == 200, resp.text
    assert resp.json()["cached"] == "exact"
    text = (await api.get("/metrics")).text
    for name in (
        'va_llm_calls_total{model="local",outcome="ok",provider="local"}',
        'va_llm_call_duration_seconds_count{model="local",provider="local"}',
        'va_llm_tokens_total{kind="prompt",model="local",provider="local"}',
        'va_llm_cost_usd_total{model="local",provider="local"}',
        'va_chat_cache_hits_total{kind="exact"}',
        "va_chat_cache_misses_total",
    ):
        assert name in text, name
