"""Shared set-up for the chat benchmarks: throwaway PostgreSQL + Redis, a tenant, a key, an agent.

Nothing is left running: the servers live in a temporary directory and stop on exit.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

API = "/api/v1"


@contextlib.contextmanager
def backends(tmp: Path, extra_env: dict[str, str] | None = None) -> Iterator[dict[str, str]]:
    """Start PostgreSQL and Redis under ``tmp`` (free ports), migrate, and export their URLs."""
    from core.config import get_settings
    from core.services import EmbeddedPostgres, EmbeddedRedis, free_port
    from models.migrate import upgrade

    env = {"DATA_DIR": str(tmp / "data"), "ENVIRONMENT": "test", "LOG_LEVEL": "WARNING", **(extra_env or {})}
    postgres = EmbeddedPostgres(tmp / "postgres", free_port())
    redis = EmbeddedRedis(tmp / "redis", free_port())
    postgres.start()
    try:
        redis.start()
        try:
            env |= {"DATABASE_URL": postgres.url, "REDIS_URL": redis.url, "CLICKHOUSE_URL": f"chdb:///{tmp / 'chdb'}"}
            os.environ.update(env)
            get_settings.cache_clear()
            upgrade("head")
            yield env
        finally:
            redis.stop()
    finally:
        postgres.stop()


async def new_tenant(rate_limit: int = 1_000_000) -> tuple[str, str]:
    """``(tenant_id, owner key)``; the key and the tenant get a rate limit a benchmark cannot hit."""
    import uuid

    from sqlalchemy import text

    from core import db
    from va_app.domain.identity.api_keys import create_api_key
    from va_app.domain.identity.principal import system_principal
    from va_app.domain.identity.tenants import provision_tenant

    suffix = uuid.uuid4().hex[:8]
    tenant = await provision_tenant(
        None, name=f"Bench {suffix}", slug=f"bench-{suffix}", owner_email=f"bench-{suffix}@example.com"
    )
    async with db.session_scope() as session:
        await session.execute(
            text("UPDATE tenants SET quotas = CAST(:q AS jsonb) WHERE id = :id"),
            {"q": f'{{"requests_per_minute": {rate_limit}}}', "id": tenant.tenant_id},
        )
    key = await create_api_key(
        system_principal(tenant.tenant_id, "benchmark"), name="bench", role="owner", rate_limit_per_minute=rate_limit
    )
    return str(tenant.tenant_id), key.secret


async def create_agent(
    api: httpx.AsyncClient,
    key: str,
    slug: str,
    *,
    faq_csv: bytes | None = None,
    version: dict[str, Any] | None = None,
    template: str = "hotel-concierge",
    variables: dict[str, str] | None = None,
) -> str:
    """An agent from ``template``, a version with ``version`` changes (and the FAQ as knowledge), shipped."""
    h = {"Authorization": f"Bearer {key}"}
    changes = dict(version or {})
    if faq_csv is not None:
        kb = (await api.post(f"{API}/knowledge-bases", json={"name": "FAQ"}, headers=h)).json()
        files = {"file": ("faq.csv", faq_csv, "text/csv")}
        doc = await api.post(f"{API}/knowledge-bases/{kb['id']}/documents", files=files, headers=h)
        doc.raise_for_status()
        changes["knowledge_base_ids"] = [kb["id"]]
    created = await api.post(
        f"{API}/agents/from-template",
        json={"template_id": template, "slug": slug, "variables": variables or {}},
        headers=h,
    )
    created.raise_for_status()
    number = await new_version(api, key, slug, changes)
    await deploy(api, key, slug, number)
    return str(created.json()["agent"]["id"])


async def new_version(api: httpx.AsyncClient, key: str, slug: str, changes: dict[str, Any]) -> int:
    h = {"Authorization": f"Bearer {key}"}
    latest = (await api.get(f"{API}/agents/{slug}/versions", headers=h)).json()["data"][0]
    fields = ["system_prompt", "greeting", "model_policy", "temperature", "knowledge_base_ids"]
    fields += ["allowed_actions", "guardrails", "handoff_rules"]
    body = {f: latest[f] for f in fields} | {"change_note": "benchmark"} | changes
    resp = await api.post(f"{API}/agents/{slug}/versions", json=body, headers=h)
    resp.raise_for_status()
    return int(resp.json()["number"])


async def deploy(api: httpx.AsyncClient, key: str, slug: str, number: int) -> None:
    h = {"Authorization": f"Bearer {key}"}
    for env in ("development", "staging", "production"):
        resp = await api.put(f"{API}/agents/{slug}/deploy", json={"version": number, "environment": env}, headers=h)
        resp.raise_for_status()
