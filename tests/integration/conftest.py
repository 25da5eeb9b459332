"""An HTTP client on the real ASGI app (FastAPI + middleware), no server socket needed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from va_app.api.app import build_api, with_request_context


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=with_request_context(build_api()), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
