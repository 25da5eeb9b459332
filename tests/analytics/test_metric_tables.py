"""Which table answers a metric query: hourly rollups for long or hour-aligned ranges, minute
rollups (or raw events for hourly-only dimensions) for short ranges that start mid-hour."""

from __future__ import annotations

import datetime as dt

from analytics.queries import metrics as mq

T = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)


def _q(start: dt.datetime, end: dt.datetime, dimension: mq.Dimension | None = None) -> mq.MetricQuery:
    return mq.MetricQuery("00000000-0000-0000-0000-000000000001", start, end, "total", dimension)


def test_long_or_aligned_totals_read_hourly_rollups() -> None:
    assert mq.choose_table(_q(T - dt.timedelta(days=7), T, "agent")) == "rollup_1h_agent"
    assert mq.choose_table(_q(T - dt.timedelta(hours=2), T, "channel")) == "rollup_1h_channel"
    unaligned_day = _q(T - dt.timedelta(hours=23, minutes=50), T + dt.timedelta(minutes=10))
    assert mq.choose_table(unaligned_day).startswith("rollup_1h")


def test_short_unaligned_totals_do_not_lose_the_partial_hour() -> None:
    last_20_min = (T + dt.timedelta(minutes=10), T + dt.timedelta(minutes=30))
    assert mq.choose_table(_q(*last_20_min, "agent")) == "rollup_1m"
    assert mq.choose_table(_q(*last_20_min)) == "rollup_1m"
    assert mq.choose_table(_q(*last_20_min, "intent")) == "events"  # minute rollups lack intent
