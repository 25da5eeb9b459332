"""Pipeline health from the analytics store: ingest rate and dead letters of a tenant."""

from __future__ import annotations

import datetime as dt

import polars as pl

from core import clickhouse
from core.config import get_settings

TAGS = {"feature": "pipeline"}


def ingest_rate(tenant_id: str, minutes: int = 60) -> pl.DataFrame:
    """Events received per minute over the last ``minutes`` (by arrival, not event time)."""
    db = get_settings().clickhouse.database
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)).replace(tzinfo=None)
    sql = f"""
        SELECT toDateTime64(toStartOfMinute(received_at), 0, 'UTC') AS minute, count() AS events
        FROM {db}.events
        WHERE tenant_id = {{tenant:UUID}} AND received_at >= {{since:DateTime64(3)}}
        GROUP BY minute ORDER BY minute
    """
    frame = pl.from_arrow(
        clickhouse.query_arrow(sql, {"tenant": tenant_id, "since": since}, tags={**TAGS, "kind": "rate"})
    )
    assert isinstance(frame, pl.DataFrame)
    return frame


def dead_letters(tenant_id: str, limit: int = 100, since: dt.datetime | None = None) -> pl.DataFrame:
    db = get_settings().clickhouse.database
    start = (since or dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).astimezone(dt.UTC).replace(tzinfo=None)
    sql = f"""
        SELECT toString(id) AS id, received_at, source, type, reason, substringUTF8(raw, 1, 2000) AS raw
        FROM {db}.dead_letters
        WHERE tenant_id = {{tenant:String}} AND received_at >= {{since:DateTime64(3)}}
        ORDER BY received_at DESC
        LIMIT {{limit:UInt32}}
    """
    params = {"tenant": tenant_id, "since": start, "limit": max(1, min(limit, 1000))}
    frame = pl.from_arrow(clickhouse.query_arrow(sql, params, tags={**TAGS, "kind": "dead_letters"}))
    assert isinstance(frame, pl.DataFrame)
    return frame


def dead_letter_reasons(tenant_id: str, days: int = 7) -> pl.DataFrame:
    db = get_settings().clickhouse.database
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).replace(tzinfo=None)
    sql = f"""
        SELECT reason, count() AS n, max(received_at) AS last_seen
        FROM {db}.dead_letters
        WHERE tenant_id = {{tenant:String}} AND received_at >= {{since:DateTime64(3)}}
        GROUP BY reason ORDER BY n DESC LIMIT 50
    """
    frame = pl.from_arrow(
        clickhouse.query_arrow(sql, {"tenant": tenant_id, "since": since}, tags={**TAGS, "kind": "reasons"})
    )
    assert isinstance(frame, pl.DataFrame)
    return frame
