"""Rate limits: exact across processes, 429 with headers, other keys unaffected."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import httpx
import pytest

from tests.api_client import bearer
from tests.factories import create_key, create_tenant
from va_app.domain.identity import ratelimit

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


async def test_burst_over_limit_gets_429_with_headers(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    limited = await create_key(tenant, "viewer", rate_limit_per_minute=5)
    other = await create_key(tenant, "viewer")
    statuses = []
    for i in range(7):
        resp = await api.get("/api/v1/auth/permissions", headers=bearer(limited))
        statuses.append(resp.status_code)
        assert resp.headers["x-ratelimit-limit"] == "5"
        if resp.status_code == 200:
            assert resp.headers["x-ratelimit-remaining"] == str(4 - i)
        assert 1 <= int(resp.headers["x-ratelimit-reset"]) <= 60
    assert statuses == [200] * 5 + [429] * 2
    assert 1 <= int(resp.headers["retry-after"]) <= 60
    assert resp.json()["error"]["code"] == "rate_limited"
    unaffected = await api.get("/api/v1/auth/permissions", headers=bearer(other))
    assert unaffected.status_code == 200
    assert unaffected.headers["x-ratelimit-limit"] == "1000"


async def test_concurrent_requests_never_exceed_limit() -> None:
    scope = f"test:{uuid.uuid4()}"
    decisions = await asyncio.gather(*(ratelimit.check([ratelimit.Limit(scope, 25)]) for _ in range(100)))
    assert sum(d.allowed for d in decisions) == 25


async def test_limit_is_exact_across_processes() -> None:
    scope = f"multi:{uuid.uuid4()}"
    code = (
        "import asyncio\n"
        "from va_app.domain.identity import ratelimit\n"
        "async def main():\n"
        f"    res = await asyncio.gather(*(ratelimit.check([ratelimit.Limit('{scope}', 60)]) for _ in range(50)))\n"
        "    print(sum(d.allowed for d in res))\n"
        "asyncio.run(main())\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=dict(os.environ)) for _ in range(3)
    ]
    allowed = [int(p.communicate(timeout=60)[0].strip()) for p in procs]
    assert sum(allowed) == 60


async def test_rejected_request_consumes_nothing_from_other_scope() -> None:
    key_scope, tenant_scope, shard = f"k:{uuid.uuid4()}", f"t:{uuid.uuid4()}", str(uuid.uuid4())
    both = [ratelimit.Limit(key_scope, 3), ratelimit.Limit(tenant_scope, 10)]
    for _ in range(3):
        assert (await ratelimit.check(both, shard=shard)).allowed
    blocked = await ratelimit.check(both, shard=shard)
    assert not blocked.allowed and blocked.scope == key_scope
    tenant_only = await ratelimit.check([ratelimit.Limit(tenant_scope, 10)], shard=shard)
    assert tenant_only.remaining == 10 - 3 - 1


def test_keys_of_one_check_share_a_cluster_hash_tag() -> None:
    keys = ratelimit.window_keys([ratelimit.Limit("key:1", 5), ratelimit.Limit("tenant:t", 9)], 42, "t")
    assert keys == ["va:rl:{t}:key:1:42", "va:rl:{t}:key:1:41", "va:rl:{t}:tenant:t:42", "va:rl:{t}:tenant:t:41"]


async def test_tenant_limit_applies_across_keys(api: httpx.AsyncClient) -> None:
    from core import db
    from models.repositories import tenants as tenants_repo

    tenant = await create_tenant()
    async with db.session_scope() as session:
        row = await tenants_repo.get_tenant(session=session, tenant_id=tenant.tenant_id)
        assert row is not None
        row.quotas = {**row.quotas, "requests_per_minute": 4}
    keys = [await create_key(tenant, "viewer") for _ in range(3)]
    statuses = [(await api.get("/api/v1/auth/permissions", headers=bearer(keys[i % 3]))).status_code for i in range(6)]
    assert statuses.count(200) == 4 and statuses.count(429) == 2
