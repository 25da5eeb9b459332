"""Pipeline status for the API and the console."""

from __future__ import annotations

import datetime as dt
from typing import Any

from analytics.queries import pipeline as pq
from core import cache, clickhouse, keys
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal


async def backlog() -> dict[str, Any]:
    """Messages not yet written, per topic, as last reported by the ingest workers (None when
    no worker reported in the last 30 s — which is itself worth showing)."""
    redis = cache.get_redis()
    total = await redis.get(keys.INGEST_LAG)
    topics: dict[bytes, bytes] = await cache.awaited(redis.hgetall(keys.INGEST_LAG_TOPICS))
    return {
        "total": int(total) if total is not None else None,
        "topics": {k.decode(): int(v) for k, v in topics.items()},
        "worker_reporting": total is not None,
    }


def _rows(frame: Any) -> list[dict[str, Any]]:
    return [
        {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in row.items()} for row in frame.to_dicts()
    ]


async def pipeline_status(principal: Principal) -> dict[str, Any]:
    principal.require(Perm.ANALYTICS_READ)
    tenant = str(principal.tenant_id)
    rate = await clickhouse.run(pq.ingest_rate, tenant, 60)
    reasons = await clickhouse.run(pq.dead_letter_reasons, tenant, 7)
    return {
        "backlog": await backlog(),
        "ingest_per_minute": _rows(rate),
        "events_last_hour": int(rate["events"].sum()) if rate.height else 0,
        "dead_letter_reasons": _rows(reasons),
        "dead_letters_last_7_days": int(reasons["n"].sum()) if reasons.height else 0,
    }


async def list_dead_letters(principal: Principal, limit: int = 100) -> list[dict[str, Any]]:
    principal.require(Perm.ANALYTICS_READ)
    return _rows(await clickhouse.run(pq.dead_letters, str(principal.tenant_id), limit))
