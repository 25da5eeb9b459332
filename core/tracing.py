"""OpenTelemetry tracing: off by default, one OTLP exporter when configured.

Why this shape: every hot path (chat turn, router, provider call, bus publish, ingest batch)
opens spans, so when tracing is off a span must cost a flag check and nothing else. Tracing
turns on by itself on first use when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set, the standard OpenTelemetry variables, so
every process kind (web workers forked by Granian, ``python -m ingest``) configures itself
without a start-up hook. Tests call :func:`setup_tracing` with an in-memory exporter.

The bus carries the W3C ``traceparent`` of the publishing span in each message envelope
(:func:`current_traceparent`); the ingest worker opens one span per batch *linked* to every
producer's context (:func:`links_from`), because one batch serves many traces.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Link, Span, Tracer

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


class _State:
    """Whether the environment was read, and the installed provider and tracer (None when off)."""

    checked: bool = False
    tracer: Tracer | None = None
    provider: TracerProvider | None = None


_state = _State()


def _env_endpoint() -> str | None:
    return os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")


def setup_tracing(
    service_name: str | None = None, exporter: SpanExporter | None = None, *, simple: bool = False
) -> bool:
    """Install a tracer provider; returns whether tracing is on.

    ``exporter`` overrides the OTLP/HTTP exporter (tests pass an in-memory one with
    ``simple=True`` so spans are exported synchronously). Without an exporter and without an
    endpoint in the environment, tracing stays off.
    """
    _state.checked = True
    if exporter is None and not _env_endpoint():
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()  # reads the endpoint and headers from the environment
    name = service_name or os.environ.get("OTEL_SERVICE_NAME") or "virtualagent"
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(SimpleSpanProcessor(exporter) if simple else BatchSpanProcessor(exporter))
    if _state.provider is not None:
        with contextlib.suppress(Exception):
            _state.provider.shutdown()
    _state.provider = provider
    _state.tracer = provider.get_tracer("virtualagent")
    return True


def shutdown_tracing() -> None:
    """Flush and switch tracing off (end of a process, or between tests)."""
    provider = _state.provider
    _state.tracer, _state.provider, _state.checked = None, None, False
    if provider is not None:
        with contextlib.suppress(Exception):
            provider.shutdown()


def _tracer() -> Tracer | None:
    if not _state.checked:
        setup_tracing()
    return _state.tracer


def enabled() -> bool:
    return _tracer() is not None


@contextlib.contextmanager
def span(name: str, *, links: list[Link] | None = None, kind: str = "internal", **attrs: Any) -> Iterator[Span | None]:
    """A span around a block (the current span becomes its parent); ``None`` when off.

    Works in async code: the current span lives in a context variable of the running task.
    Attributes that are ``None`` are dropped (OpenTelemetry refuses them).
    """
    tracer = _tracer()
    if tracer is None:
        yield None
        return
    from opentelemetry.trace import SpanKind

    span_kind = {"server": SpanKind.SERVER, "client": SpanKind.CLIENT, "consumer": SpanKind.CONSUMER}.get(
        kind, SpanKind.INTERNAL
    )
    clean = {k: v for k, v in attrs.items() if v is not None}
    with tracer.start_as_current_span(name, kind=span_kind, attributes=clean, links=links) as current:
        yield current


@contextlib.contextmanager
def server_span(name: str, traceparent: str | None = None, **attrs: Any) -> Iterator[Span | None]:
    """A server span continuing the caller's W3C ``traceparent`` header when it sent one."""
    tracer = _tracer()
    if tracer is None:
        yield None
        return
    from opentelemetry import context as otel_context
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    token = None
    if traceparent:
        parent = TraceContextTextMapPropagator().extract({"traceparent": traceparent})
        token = otel_context.attach(parent)
    try:
        with span(name, kind="server", **attrs) as current:
            yield current
    finally:
        if token is not None:
            otel_context.detach(token)


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the active span, for a bus message envelope; None when off."""
    if _state.tracer is None:
        return None
    from opentelemetry import trace

    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


def current_trace_id() -> str | None:
    """The active trace id (hex) for log lines; None when off or outside a span."""
    if _state.tracer is None:
        return None
    from opentelemetry import trace

    ctx = trace.get_current_span().get_span_context()
    return f"{ctx.trace_id:032x}" if ctx.is_valid else None


def links_from(traceparents: Iterable[str | None], limit: int = 128) -> list[Link]:
    """Span links to the producers' contexts (deduplicated, bounded: a batch may hold thousands)."""
    from opentelemetry.trace import Link, SpanContext, TraceFlags

    links: list[Link] = []
    seen: set[str] = set()
    for value in traceparents:
        if not value or value in seen or len(links) >= limit:
            continue
        seen.add(value)
        match = _TRACEPARENT.match(value)
        if match is None:
            continue
        trace_id, span_id, flags = match.groups()
        flags_value = TraceFlags(int(flags, 16))
        links.append(Link(SpanContext(int(trace_id, 16), int(span_id, 16), is_remote=True, trace_flags=flags_value)))
    return links


def traceparent_of(message: bytes) -> str | None:
    """The ``traceparent`` of a bus message envelope, found without parsing the whole JSON."""
    at = message.rfind(b'"traceparent":"')
    if at < 0:
        return None
    start = at + len(b'"traceparent":"')
    end = message.find(b'"', start)
    return message[start:end].decode("ascii", "replace") if end > 0 else None
