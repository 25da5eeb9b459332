"""Platform-wide event counters for the operator overview."""

from __future__ import annotations

import datetime as dt

from core import clickhouse
from core.config import get_settings

TAGS = {"feature": "overview", "kind": "platform"}


def events_since(since: dt.datetime) -> int:
    """Events received since ``since`` across all tenants (superadmin overview only)."""
    db = get_settings().clickhouse.database
    rows = clickhouse.query_rows(
        f"SELECT count() FROM {db}.events WHERE ts >= {{since:DateTime64(3)}}",
        {"since": since.astimezone(dt.UTC).replace(tzinfo=None)},
        tags=TAGS,
    )
    return int(rows[0][0])


def tenant_events_since(tenant_id: str, since: dt.datetime) -> int:
    db = get_settings().clickhouse.database
    rows = clickhouse.query_rows(
        f"SELECT count() FROM {db}.events WHERE tenant_id = {{tenant:UUID}} AND ts >= {{since:DateTime64(3)}}",
        {"tenant": tenant_id, "since": since.astimezone(dt.UTC).replace(tzinfo=None)},
        tags={"feature": "demo", "kind": "tenant_count"},
    )
    return int(rows[0][0])
