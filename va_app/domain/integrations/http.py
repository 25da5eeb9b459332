"""One pooled HTTP client per event loop for every provider call (connections are reused;
a client cannot cross loops), with timeouts short enough that a slow provider cannot pin
the worker."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from va_app.domain.errors import Unavailable

TIMEOUT = httpx.Timeout(10.0, connect=3.0)
_clients: dict[int, httpx.AsyncClient] = {}


def client() -> httpx.AsyncClient:
    loop_id = id(asyncio.get_running_loop())
    found = _clients.get(loop_id)
    if found is None or found.is_closed:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        found = _clients[loop_id] = httpx.AsyncClient(timeout=TIMEOUT, limits=limits)
    return found


async def close() -> None:
    for found in list(_clients.values()):
        await found.aclose()
    _clients.clear()


class ConnectorError(Unavailable):
    """The provider answered with an error (or not at all); the message is safe to show."""

    def __init__(self, provider: str, status: int | None, detail: str) -> None:
        super().__init__(f"{provider}: {status or 'no answer'} {detail[:300]}".strip())
        self.status = status


async def call(provider: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """A request whose failures become :class:`ConnectorError` (never the raw exception with headers)."""
    try:
        resp = await client().request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise ConnectorError(provider, None, type(exc).__name__) from None
    if resp.status_code >= 400:
        raise ConnectorError(provider, resp.status_code, resp.text)
    return resp
