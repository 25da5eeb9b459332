"""Idempotency-Key: a retried mutation gets the first answer and does not happen twice."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.api_client import bearer
from tests.factories import create_tenant

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


async def test_retry_replays_first_response(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    headers = {**bearer(tenant.owner_key), "Idempotency-Key": f"invite-{uuid.uuid4()}"}
    body = {"email": f"{uuid.uuid4().hex[:8]}@example.com", "role": "viewer"}
    first = await api.post("/api/v1/users", json=body, headers=headers)
    second = await api.post("/api/v1/users", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    members = (await api.get("/api/v1/users", headers=bearer(tenant.owner_key))).json()["data"]
    assert sum(m["email"] == body["email"] for m in members) == 1
    fresh = await api.post(
        "/api/v1/users", json=body, headers={**bearer(tenant.owner_key), "Idempotency-Key": "other-key-1"}
    )
    assert fresh.status_code == 409  # without the same key the duplicate invite is refused


async def test_keys_are_per_caller_and_validated(api: httpx.AsyncClient) -> None:
    a, b = await create_tenant(), await create_tenant()
    key = f"shared-{uuid.uuid4()}"
    body = {"email": "same@example.com", "role": "viewer"}
    ra = await api.post("/api/v1/users", json=body, headers={**bearer(a.owner_key), "Idempotency-Key": key})
    rb = await api.post("/api/v1/users", json=body, headers={**bearer(b.owner_key), "Idempotency-Key": key})
    assert ra.status_code == rb.status_code == 201
    assert "idempotent-replayed" not in rb.headers
    bad = await api.post("/api/v1/users", json=body, headers={**bearer(a.owner_key), "Idempotency-Key": "x"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"


async def test_secrets_are_never_replayed(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    headers = {**bearer(tenant.owner_key), "Idempotency-Key": f"key-{uuid.uuid4()}"}
    first = await api.post("/api/v1/api-keys", json={"name": "a", "role": "viewer"}, headers=headers)
    second = await api.post("/api/v1/api-keys", json={"name": "a", "role": "viewer"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["key"] != second.json()["key"]
    assert "idempotent-replayed" not in second.headers
