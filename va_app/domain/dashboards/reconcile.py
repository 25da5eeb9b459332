"""``va analytics verify``: are the figures the dashboards show what the raw events say?

The checks and repairs themselves live in :mod:`analytics.reconcile` (ClickHouse only);
this module turns an operator's request -- a tenant slug, a "since" such as ``7d`` -- into
that call, off the event loop.
"""

from __future__ import annotations

import datetime as dt
import re

from analytics import reconcile
from core import clickhouse, db
from models.repositories import tenants as tenants_repo
from va_app.domain.errors import InvalidInput, NotFound

DEFAULT_SINCE = dt.timedelta(days=1)
_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str | None, now: dt.datetime | None = None) -> dt.datetime:
    """``7d``, ``24h``, ``90m``, ``2w`` before now, or an ISO date/time (UTC when naive)."""
    now = now or dt.datetime.now(dt.UTC)
    if not value:
        return now - DEFAULT_SINCE
    match = _RELATIVE.match(value.strip().lower())
    if match:
        return now - dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise InvalidInput(f"--since '{value}': give 7d, 24h, 90m, 2w or an ISO date/time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


async def tenant_id_of(slug: str) -> str:
    async with db.session_scope() as session:
        tenant = await tenants_repo.get_tenant_by_slug(session=session, slug=slug)
    if tenant is None:
        raise NotFound(f"no tenant '{slug}'")
    return str(tenant.id)


async def verify_analytics(tenant_slug: str | None, since: str | None, *, repair: bool = False) -> reconcile.Report:
    """Check (and with ``repair`` rebuild) raw events and every rollup of one tenant or all."""
    tenant_id = await tenant_id_of(tenant_slug) if tenant_slug else None
    start = parse_since(since)
    return await clickhouse.run(reconcile.verify, tenant_id, start, repair=repair)
