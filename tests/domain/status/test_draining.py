"""Readiness during graceful shutdown, through the real ASGI app (no backend is reached)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from core.config import get_settings
from va_app.api.app import build_api, with_request_context
from va_app.api.routes import health
from va_app.domain.status import draining
from va_app.domain.status.backends import PlatformStatus


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The marker lives under DATA_DIR: never touch the developer's real ``.data``."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    draining.reset()
    yield
    draining.reset()
    get_settings.cache_clear()


@pytest.fixture
async def client(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    async def all_up() -> PlatformStatus:
        return PlatformStatus(ready=True, backends=[], checked_at="now")

    monkeypatch.setattr(health, "check_backends", all_up)
    transport = httpx.ASGITransport(app=with_request_context(build_api()))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_ready_when_not_draining(client: httpx.AsyncClient) -> None:
    resp = await client.get("/readyz")
    assert resp.status_code == 200
    assert resp.json()["status"] == "ready"


async def test_readyz_503_while_this_process_drains_but_healthz_stays_up(client: httpx.AsyncClient) -> None:
    draining.begin()
    resp = await client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json()["status"] == "draining"
    assert resp.json()["draining_for_s"] >= 0
    assert resp.headers["X-Request-ID"]
    assert (await client.get("/healthz")).status_code == 200  # liveness must not restart a leaving pod


async def test_pod_wide_marker_drains_every_worker(client: httpx.AsyncClient, tmp_path: Path) -> None:
    # What the Kubernetes preStop hook does: another process creates the marker file.
    marker = tmp_path / "run" / "draining"
    marker.parent.mkdir(parents=True)
    marker.touch()
    assert draining.marker_path() == marker
    resp = await client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json() == {"status": "draining", "draining_for_s": None}


async def test_reset_serves_again_and_removes_a_stale_marker(client: httpx.AsyncClient) -> None:
    draining.begin(pod_wide=True)
    assert draining.marker_path().exists()
    draining.reset()
    assert not draining.marker_path().exists()
    assert (await client.get("/readyz")).status_code == 200
