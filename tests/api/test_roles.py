"""Each role can do exactly what the permission table says."""

from __future__ import annotations

import httpx
import pytest

from tests.api_client import bearer
from tests.factories import create_key, create_tenant
from va_app.domain.identity.permissions import PERMISSIONS, Perm, Role

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ROLES = ["owner", "admin", "developer", "analyst", "viewer"]


@pytest.mark.parametrize("role", ROLES)
async def test_permissions_endpoint_matches_table(api: httpx.AsyncClient, role: str) -> None:
    tenant = await create_tenant()
    key = tenant.owner_key if role == "owner" else await create_key(tenant, role)
    body = (await api.get("/api/v1/auth/permissions", headers=bearer(key))).json()
    assert body["role"] == role
    assert set(body["permissions"]) == {p.value for p in PERMISSIONS[Role(role)]}


# (method, path, body, permission it needs, success status)
GATED = [
    ("GET", "/api/v1/api-keys", None, Perm.KEYS_READ, 200),
    ("POST", "/api/v1/api-keys", {"name": "k", "role": "viewer"}, Perm.KEYS_WRITE, 201),
    ("GET", "/api/v1/users", None, Perm.USERS_READ, 200),
    ("GET", "/api/v1/audit-logs", None, Perm.AUDIT_READ, 200),
    ("GET", "/api/v1/audit-logs/export.csv", None, Perm.AUDIT_READ, 200),
]


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_is_allowed_exactly_its_permissions(api: httpx.AsyncClient, role: str) -> None:
    tenant = await create_tenant()
    key = tenant.owner_key if role == "owner" else await create_key(tenant, role)
    allowed = PERMISSIONS[Role(role)]
    for method, path, body, perm, ok_status in GATED:
        resp = await api.request(method, path, json=body, headers=bearer(key))
        expected = ok_status if perm in allowed else 403
        assert resp.status_code == expected, f"{role} {method} {path}: {resp.status_code} {resp.text[:200]}"
    invite = await api.post(
        "/api/v1/users",
        json={"email": f"new-{role}@example.com", "role": "viewer"},
        headers=bearer(key),
    )
    assert invite.status_code == (201 if Perm.USERS_WRITE in allowed else 403)


async def test_members_role_changes_respect_ceiling_and_last_owner(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    admin = await create_key(tenant, "admin")
    owner_id = str(tenant.provisioned.owner_user_id)
    demote_owner = await api.patch(f"/api/v1/users/{owner_id}", json={"role": "viewer"}, headers=bearer(admin))
    assert demote_owner.status_code == 403
    last_owner = await api.patch(f"/api/v1/users/{owner_id}", json={"role": "admin"}, headers=bearer(tenant.owner_key))
    assert last_owner.status_code == 409
    invited = await api.post(
        "/api/v1/users", json={"email": "dev@example.com", "role": "developer"}, headers=bearer(admin)
    )
    assert invited.status_code == 201 and invited.json()["temporary_password"]
    dev_id = invited.json()["user_id"]
    grant_owner = await api.patch(f"/api/v1/users/{dev_id}", json={"role": "owner"}, headers=bearer(admin))
    assert grant_owner.status_code == 403
    promote = await api.patch(f"/api/v1/users/{dev_id}", json={"role": "admin"}, headers=bearer(admin))
    assert promote.status_code == 200 and promote.json()["role"] == "admin"
    duplicate = await api.post(
        "/api/v1/users", json={"email": "dev@example.com", "role": "viewer"}, headers=bearer(admin)
    )
    assert duplicate.status_code == 409
    removed = await api.delete(f"/api/v1/users/{dev_id}", headers=bearer(admin))
    assert removed.status_code == 204
    members = (await api.get("/api/v1/users", headers=bearer(admin))).json()["data"]
    assert dev_id not in {m["user_id"] for m in members}
