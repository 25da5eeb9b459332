"""One pooled httpx client per event loop for every HTTP provider.

Opening a TLS connection per call would cost more than the call's CPU budget; a pool keeps
connections warm. Pools cannot cross event loops (tests and forked workers run several), so
clients are keyed by the running loop, like the Redis client in ``core.cache``.
"""

from __future__ import annotations

import asyncio

import httpx

from va_app.domain.llm.errors import (
    BadRequestError,
    ContentPolicyError,
    ContextWindowError,
    ProviderAuthError,
    ProviderError,
    RateLimitError,
    TransientError,
)

_clients: dict[int, httpx.AsyncClient] = {}
_LIMITS = httpx.Limits(max_connections=500, max_keepalive_connections=100, keepalive_expiry=60)
_CONTEXT_MARKERS = ("context_length", "context window", "maximum context", "prompt is too long", "too many tokens")
_POLICY_MARKERS = ("content_policy", "content_filter", "content policy", "safety", "refus")


def client() -> httpx.AsyncClient:
    loop_id = id(asyncio.get_running_loop())
    found = _clients.get(loop_id)
    if found is None or found.is_closed:
        found = _clients[loop_id] = httpx.AsyncClient(limits=_LIMITS, timeout=httpx.Timeout(30.0, connect=5.0))
    return found


async def close() -> None:
    for c in list(_clients.values()):
        await c.aclose()
    _clients.clear()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def error_for(status: int, body: str, response: httpx.Response | None = None) -> ProviderError:
    """Classify an HTTP error from any provider by status and the words in its body."""
    lowered = body.lower()
    message = f"HTTP {status}: {body[:300]}"
    if status == 429:
        return RateLimitError(message, status=status, retry_after_s=_retry_after(response) if response else None)
    if status >= 500 or status in (408, 409):
        return TransientError(message, status=status)
    if any(m in lowered for m in _CONTEXT_MARKERS):
        return ContextWindowError(message, status=status)
    if any(m in lowered for m in _POLICY_MARKERS):
        return ContentPolicyError(message, status=status)
    if status in (401, 403):
        return ProviderAuthError(message, status=status)
    return BadRequestError(message, status=status)


def transport_error(exc: Exception) -> ProviderError:
    kind = "timeout" if isinstance(exc, httpx.TimeoutException) else "connection error"
    return TransientError(f"{kind}: {type(exc).__name__}: {exc}")
