"""API keys end to end through the HTTP API: create, list, revoke, rotate, role ceilings."""

from __future__ import annotations

import httpx
import pytest

from tests.api_client import bearer
from tests.factories import create_key, create_tenant

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


async def test_owner_creates_lower_keys_and_secret_is_shown_once(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    resp = await api.post(
        "/api/v1/api-keys", json={"name": "ci", "role": "developer"}, headers=bearer(tenant.owner_key)
    )
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["key"].startswith(f"va_{created['prefix']}_")
    me = await api.get("/api/v1/auth/permissions", headers=bearer(created["key"]))
    assert me.status_code == 200 and me.json()["role"] == "developer"

    listing = await api.get("/api/v1/api-keys", headers=bearer(tenant.owner_key))
    assert listing.status_code == 200
    assert created["key"] not in listing.text
    assert "secret" not in listing.text and "hash" not in listing.text
    assert created["id"] in {k["id"] for k in listing.json()["data"]}


async def test_key_role_cannot_exceed_creator(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    dev = await create_key(tenant, "developer")
    resp = await api.post("/api/v1/api-keys", json={"name": "x", "role": "admin"}, headers=bearer(dev))
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "permission_denied"
    ok = await api.post("/api/v1/api-keys", json={"name": "x", "role": "viewer"}, headers=bearer(dev))
    assert ok.status_code == 201


async def test_revoke_takes_effect_at_once(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    created = (
        await api.post("/api/v1/api-keys", json={"name": "tmp", "role": "viewer"}, headers=bearer(tenant.owner_key))
    ).json()
    assert (await api.get("/api/v1/auth/permissions", headers=bearer(created["key"]))).status_code == 200
    resp = await api.delete(f"/api/v1/api-keys/{created['id']}", headers=bearer(tenant.owner_key))
    assert resp.status_code == 204
    after = await api.get("/api/v1/auth/permissions", headers=bearer(created["key"]))
    assert after.status_code == 401
    again = await api.delete(f"/api/v1/api-keys/{created['id']}", headers=bearer(tenant.owner_key))
    assert again.status_code == 404


async def test_rotate_keeps_old_secret_for_grace_period(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    created = (
        await api.post("/api/v1/api-keys", json={"name": "r", "role": "analyst"}, headers=bearer(tenant.owner_key))
    ).json()
    rotated = await api.post(f"/api/v1/api-keys/{created['id']}/rotate", headers=bearer(tenant.owner_key))
    assert rotated.status_code == 200
    new_key = rotated.json()["key"]
    assert new_key != created["key"] and rotated.json()["prefix"] == created["prefix"]
    assert rotated.json()["rotated_grace_until"] is not None
    for key in (created["key"], new_key):
        assert (await api.get("/api/v1/auth/permissions", headers=bearer(key))).status_code == 200

    no_grace = await api.post(
        f"/api/v1/api-keys/{created['id']}/rotate", json={"grace_period_hours": 0}, headers=bearer(tenant.owner_key)
    )
    newest = no_grace.json()["key"]
    assert (await api.get("/api/v1/auth/permissions", headers=bearer(new_key))).status_code == 401
    assert (await api.get("/api/v1/auth/permissions", headers=bearer(newest))).status_code == 200


async def test_expired_key_is_refused(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    past = await api.post(
        "/api/v1/api-keys",
        json={"name": "old", "role": "viewer", "expires_at": "2001-01-01T00:00:00Z"},
        headers=bearer(tenant.owner_key),
    )
    assert past.status_code == 400
    assert "future" in past.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": "", "role": "viewer"},
        {"name": "x", "role": "emperor"},
        {"name": "x", "role": "viewer", "rate_limit_per_minute": 0},
        {"name": "x", "role": "viewer", "unexpected": 1},
        {"name": "x", "role": "viewer", "expires_at": "not a date"},
    ],
)
async def test_bad_input_is_a_4xx_json_error(api: httpx.AsyncClient, body: dict) -> None:
    tenant = await create_tenant()
    resp = await api.post("/api/v1/api-keys", json=body, headers=bearer(tenant.owner_key))
    assert 400 <= resp.status_code < 500
    assert "error" in resp.json()


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer va_aaaaaaaaaa_wrongsecret"],
)
async def test_bad_credentials_are_401(api: httpx.AsyncClient, header: str) -> None:
    resp = await api.get("/api/v1/auth/permissions", headers={"Authorization": header} if header else {})
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "not_authenticated"
    assert resp.headers["www-authenticate"] == "Bearer"
