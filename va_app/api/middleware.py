"""ASGI middleware: request id, access log, Prometheus metrics.

Written as plain ASGI (not ``BaseHTTPMiddleware``) so streaming responses and the Reflex
websocket pass through untouched, and so an unhandled error still gets a request id.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.logs import client_var, request_id_var
from core.metrics import HTTP_LATENCY, HTTP_REQUESTS
from core.tracing import server_span

log = logging.getLogger("va.access")

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _route_label(scope: Scope) -> str:
    """The route template (``/api/v1/agents/{id}``) so label cardinality stays bounded."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return str(path)
    raw = str(scope.get("path", ""))
    if raw.startswith(("/api/", "/healthz", "/readyz", "/metrics")):
        return "unmatched"
    return "console"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        client = scope.get("client")
        forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1").split(",")[0].strip()
        ip = forwarded or (client[0] if client else None)
        client_token = client_var.set((ip, headers.get(b"user-agent", b"").decode("latin-1")[:500] or None))
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                out = list(message.get("headers", []))
                out.append((b"x-request-id", request_id.encode()))
                present = {name.lower() for name, _ in out}
                for name, value in (state.get("extra_headers") or {}).items():
                    if name.lower().encode() not in present:
                        out.append((name.lower().encode(), str(value).encode()))
                message["headers"] = out
            await send(message)

        method = scope.get("method", "GET")
        traceparent = headers.get(b"traceparent", b"").decode("latin-1") or None
        try:
            # One server span per request (a no-op unless tracing is configured, core/tracing.py).
            with server_span(f"{method} {scope.get('path', '')}", traceparent, request_id=request_id) as current:
                await self.app(scope, receive, send_with_id)
                if current is not None:
                    current.set_attribute("http.route", _route_label(scope))
                    current.set_attribute("http.status_code", status_holder["status"])
        finally:
            elapsed = time.perf_counter() - started
            route = _route_label(scope)
            HTTP_REQUESTS.labels(method, route, str(status_holder["status"])).inc()
            HTTP_LATENCY.labels(method, route).observe(elapsed)
            if route != "console" or status_holder["status"] >= 500:
                log.info(
                    "request",
                    extra={
                        "method": method,
                        "path": scope.get("path"),
                        "route": route,
                        "status": status_holder["status"],
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            request_id_var.reset(token)
            client_var.reset(client_token)
