"""Backend readiness and headline counts, shared by ``/readyz``, ``va status`` and the console.

Each probe runs with its own timeout so one slow backend cannot hide the state of the others.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field

from analytics.queries import platform as platform_queries
from core import cache, clickhouse, db
from core.bus import get_bus
from core.config import get_settings
from models.repositories import platform as platform_repo
from va_app.domain.identity.principal import Principal

PROBE_TIMEOUT_S = 3.0


@dataclass
class BackendStatus:
    name: str
    kind: str
    ok: bool
    version: str = ""
    error: str = ""
    latency_ms: float = 0.0
    embedded: bool = True


@dataclass
class PlatformStatus:
    ready: bool
    backends: list[BackendStatus]
    checked_at: str
    counts: dict[str, int | None] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "status": "ready" if self.ready else "unavailable",
            "checked_at": self.checked_at,
            "backends": {b.name: {k: v for k, v in asdict(b).items() if k != "name"} for b in self.backends},
            "counts": self.counts,
        }


async def _probe(name: str, kind: str, embedded: bool, check: Callable[[], Awaitable[str]]) -> BackendStatus:
    started = time.perf_counter()
    try:
        version = await asyncio.wait_for(check(), PROBE_TIMEOUT_S)
        return BackendStatus(name, kind, True, version, "", _ms(started), embedded)
    except TimeoutError:
        return BackendStatus(name, kind, False, "", f"no answer within {PROBE_TIMEOUT_S:.0f}s", _ms(started), embedded)
    except Exception as exc:  # a probe reports every failure instead of raising it
        return BackendStatus(name, kind, False, "", _short(exc), _ms(started), embedded)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


async def _bus_ping() -> str:
    bus = get_bus()
    try:
        return await bus.ping()
    finally:
        await bus.close()


async def check_backends() -> PlatformStatus:
    settings = get_settings()
    probes = await asyncio.gather(
        _probe("postgres", "transactional store", settings.postgres_embedded, db.ping),
        _probe("redis", "cache, limits, sessions", settings.redis_embedded, cache.ping),
        _probe("clickhouse", "analytics store", settings.clickhouse_embedded, clickhouse.ping),
        _probe("bus", "event bus", settings.bus_backend == "redis", _bus_ping),
    )
    return PlatformStatus(
        ready=all(p.ok for p in probes),
        backends=list(probes),
        checked_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )


async def headline_counts(tenant_id: uuid.UUID | None = None) -> dict[str, int | None]:
    """Tenants, agents and events in the last hour; ``None`` where a backend is down.

    With ``tenant_id`` the counts are that tenant's (and the tenant count is not shown).
    """
    counts: dict[str, int | None] = {"tenants": None, "agents": None, "events_last_hour": None}
    try:
        async with db.session_scope() as session:
            if tenant_id is None:
                counts["tenants"] = await platform_repo.count_tenants(session=session)
            counts["agents"] = await platform_repo.count_agents(session=session, tenant_id=tenant_id)
    except Exception:  # shown as unknown on the overview; the backend row says why
        pass
    try:
        since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        if tenant_id is None:
            counts["events_last_hour"] = await clickhouse.run(platform_queries.events_since, since)
        else:
            counts["events_last_hour"] = await clickhouse.run(
                platform_queries.tenant_events_since, str(tenant_id), since
            )
    except Exception:  # same: unknown rather than a broken page
        pass
    return counts


async def overview_status(principal: Principal) -> PlatformStatus:
    """What the console Overview shows the signed-in user: platform-wide counts for a
    superadmin, the user's own tenant's otherwise."""
    status = await check_backends()
    status.counts = await headline_counts(None if principal.is_superadmin else principal.tenant_id)
    return status


async def platform_status(with_counts: bool = True) -> PlatformStatus:
    status = await check_backends()
    if with_counts:
        status.counts = await headline_counts()
    return status
