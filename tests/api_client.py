"""An HTTP client on the real ASGI app (FastAPI + middleware), no server socket needed.

The ``api`` fixture in ``tests/conftest.py`` yields one per test; ``bearer`` builds the
header an API key is sent in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from va_app.api.app import build_api, with_request_context


@asynccontextmanager
async def asgi_client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=with_request_context(build_api()), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
