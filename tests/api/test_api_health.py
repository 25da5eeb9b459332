"""The app's health, readiness, metrics, request ids and error envelope through the ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from core import cache
from core.config import get_settings
from va_app.api.app import build_api, with_request_context
from va_app.domain import errors

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = with_request_context(build_api())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_healthz(client: httpx.AsyncClient) -> None:
    resp = await client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}
    assert len(resp.headers["x-request-id"]) == 32


async def test_readyz_reports_every_backend(client: httpx.AsyncClient) -> None:
    resp = await client.get("/readyz")
    body = resp.json()
    assert resp.status_code == 200, body
    assert body["status"] == "ready"
    assert set(body["backends"]) == {"postgres", "redis", "clickhouse", "bus"}
    assert body["backends"]["postgres"]["version"].startswith("PostgreSQL 18")
    assert "pgvector" in body["backends"]["postgres"]["version"]
    assert body["backends"]["redis"]["version"].startswith("Redis 7")
    assert body["backends"]["clickhouse"]["version"].startswith("chDB")
    assert all(b["ok"] for b in body["backends"].values())


async def test_readyz_503_when_redis_is_down(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.services import free_port

    closed = f"redis://127.0.0.1:{free_port()}/0"
    monkeypatch.setenv("REDIS_URL", closed)
    get_settings.cache_clear()
    await cache.close()
    try:
        resp = await client.get("/readyz")
        body = resp.json()
        assert resp.status_code == 503
        assert body["status"] == "unavailable"
        assert body["backends"]["redis"]["ok"] is False
        assert body["backends"]["redis"]["error"]
        assert body["backends"]["postgres"]["ok"] is True
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        await cache.close()


async def test_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    resp = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert resp.headers["x-request-id"] == "abc-123"
    bad = await client.get("/healthz", headers={"X-Request-ID": "no spaces allowed"})
    assert bad.headers["x-request-id"] != "no spaces allowed"


async def test_metrics_count_requests_by_route_and_status(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    await client.get("/api/v1/does-not-exist")
    text = (await client.get("/metrics")).text
    assert 'va_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'route="/api/v1/{path:path}",status="404"' in text
    assert "va_http_request_duration_seconds_bucket" in text


async def test_unknown_api_route_uses_error_envelope(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/v1/nothing/here")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"
    assert "x-request-id" in resp.headers


async def test_openapi_and_docs_are_served(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/v1/openapi.json")).json()
    assert spec["info"]["title"] == "VirtualAgent API"
    assert "/api/v1/platform/status" in spec["paths"]
    assert (await client.get("/api/v1/docs")).status_code == 200


async def test_platform_status_is_for_superadmins(client: httpx.AsyncClient) -> None:
    from tests.factories import create_key, create_tenant
    from va_app.domain.identity.api_keys import create_api_key
    from va_app.domain.identity.principal import system_principal

    tenant = await create_tenant()
    owner = await create_key(tenant, "owner")
    denied = await client.get("/api/v1/platform/status", headers={"Authorization": f"Bearer {owner}"})
    assert denied.status_code == 403
    platform_key = await create_api_key(system_principal(tenant.tenant_id, "test"), name="ops", role="superadmin")
    resp = await client.get("/api/v1/platform/status", headers={"Authorization": f"Bearer {platform_key.secret}"})
    assert resp.status_code == 200
    body = resp.json()
    assert set(body["counts"]) == {"tenants", "agents", "events_last_hour"}
    assert all(isinstance(v, int) for v in body["counts"].values())


class _Payload(BaseModel):
    name: str
    size: int


def _app_with_probe_routes() -> FastAPI:
    """The real error handlers on the real app, plus routes that fail in each way."""
    app = build_api()

    @app.post("/probe/validate")
    async def validate(payload: _Payload) -> dict[str, str]:
        return {"name": payload.name}

    @app.get("/probe/conflict")
    async def conflict() -> None:
        raise errors.Conflict("slug already taken")

    @app.get("/probe/limited")
    async def limited() -> None:
        raise errors.RateLimited("slow down", retry_after_s=7, headers={"X-RateLimit-Limit": "10"})

    @app.get("/probe/crash")
    async def crash() -> None:
        raise RuntimeError("secret internals")

    return app


async def test_error_envelope_for_each_failure_kind() -> None:
    transport = httpx.ASGITransport(app=with_request_context(_app_with_probe_routes()), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        invalid = await c.post("/probe/validate", json={"name": "x", "size": "big"})
        assert invalid.status_code == 422
        assert invalid.json()["error"]["code"] == "validation_error"
        assert "size" in invalid.json()["error"]["message"]

        malformed = await c.post("/probe/validate", content=b"{not json", headers={"content-type": "application/json"})
        assert malformed.status_code == 422
        assert malformed.json()["error"]["code"] == "validation_error"

        conflict = await c.get("/probe/conflict")
        assert conflict.status_code == 409
        assert conflict.json() == {"error": {"code": "conflict", "message": "slug already taken"}}

        limited = await c.get("/probe/limited")
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "7"
        assert limited.headers["x-ratelimit-limit"] == "10"

        crash = await c.get("/probe/crash")
        assert crash.status_code == 500
        assert crash.json()["error"]["code"] == "internal_error"
        assert "secret internals" not in crash.text
        assert "x-request-id" in crash.headers

        wrong_method = await c.delete("/healthz")
        assert wrong_method.status_code == 405
        assert wrong_method.json()["error"]["code"] == "method_not_allowed"
