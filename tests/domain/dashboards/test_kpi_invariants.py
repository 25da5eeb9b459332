"""No tile exceeds its parent quantity, and the conversation tiles equal the raw data.

Generated traffic (``analytics/generator.py``) with about one turn per conversation is the
hard case: over a short range almost every turn is another conversation, so a conversation
count that is an estimate (HyperLogLog in the hourly rollups) lands above the turn count
("Active conversations 939" next to "Volume 920"). The ranges below are those the console
asks for: short ones read minute rollups, long or hour-aligned ones the hourly rollups.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest

from analytics import generator
from analytics.queries import metrics as mq
from core import clickhouse
from core.config import get_settings
from va_app.domain.dashboards import kpis
from va_app.domain.dashboards.live import live_frames
from va_app.domain.dashboards.service import DashboardRequest, resolve

pytestmark = [pytest.mark.clickhouse]
END = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
AGENTS = ("agent-a", "agent-b")
RANGES = [
    # (end, length): hour-aligned and not, from 5 minutes to 2 days
    (END, dt.timedelta(minutes=5)),
    (END - dt.timedelta(minutes=7), dt.timedelta(minutes=20)),
    (END, dt.timedelta(hours=1)),
    (END - dt.timedelta(minutes=23), dt.timedelta(hours=1)),
    (END, dt.timedelta(hours=3)),
    (END - dt.timedelta(hours=5), dt.timedelta(hours=7)),
    (END - dt.timedelta(minutes=41), dt.timedelta(hours=24)),
    (END, dt.timedelta(hours=47)),
]


@pytest.fixture(scope="module")
def tenant(clickhouse_store: str) -> Iterator[str]:
    tenant_id = str(uuid.uuid4())
    spec = generator.GeneratorSpec(
        tenants=[generator.TenantSpec(tenant_id, tuple(generator.AgentSpec(a, (1, 2)) for a in AGENTS))],
        events=30_000,
        end=END,
        days=2,
        seed=12,
        turns_per_conversation=1.2,
    )
    for batch in generator.generate_batches(spec):
        generator.write_batch(batch)
    yield tenant_id


def _exact(tenant: str, start: dt.datetime, end: dt.datetime, agent: str | None = None) -> tuple[int, int]:
    """Turns and distinct conversations in [start, end), straight from the raw table."""
    db = get_settings().clickhouse.database
    where = "tenant_id = {t:UUID} AND type = 'conversation.logs' AND ts >= {s:DateTime64(3)} AND ts < {e:DateTime64(3)}"
    params: dict[str, object] = {"t": tenant, "s": start.replace(tzinfo=None), "e": end.replace(tzinfo=None)}
    if agent:
        where += " AND agent_id = {a:String}"
        params["a"] = agent
    rows = clickhouse.query_rows(
        f"SELECT count(), uniqExact(conversation_id) FROM (SELECT * FROM {db}.events FINAL WHERE {where})", params
    )
    return int(rows[0][0]), int(rows[0][1])


def _check_row(row: dict[str, object], where: str) -> None:
    for child, parent in kpis.hierarchy():
        if child in row and parent in row:
            assert (row[child] or 0) <= (row[parent] or 0), f"{where}: {child}={row[child]} > {parent}={row[parent]}"  # type: ignore[operator]
    for k in kpis.KPIS:
        if k.ratio and row.get(k.key) is not None:
            value = float(row[k.key])  # type: ignore[arg-type]
            assert 0.0 <= value <= 1.0, f"{where}: {k.key}={value}"
            num, den = (float(row[c]) for c in k.ratio)  # type: ignore[arg-type]
            assert value == pytest.approx(num / den, abs=1e-6), f"{where}: {k.key} is not {num}/{den}"


@pytest.mark.parametrize(("end", "length"), RANGES, ids=lambda v: str(v))
@pytest.mark.parametrize("agent", [None, "agent-a"])
def test_no_tile_exceeds_its_parent_and_conversations_are_exact(
    tenant: str, end: dt.datetime, length: dt.timedelta, agent: str | None
) -> None:
    start = end - length
    query = resolve(tenant, DashboardRequest(start=start, end=end, filters={"agent": agent} if agent else {}))
    live = live_frames(query)
    totals = live.totals
    where = f"{length} to {end:%H:%M} ({mq.choose_table(mq.MetricQuery(tenant, start, end, 'total'))})"
    assert int(totals["events"]) > 0  # type: ignore[call-overload]
    _check_row(totals, where)
    # the turn and conversation tiles are the raw data's exact figures over the window the
    # tiles cover (whole minutes or hours of the range, as the summary states)
    window = mq.effective_window(mq.MetricQuery(tenant, start, end, "total", None, query.filters))
    assert (totals["window_start"], totals["window_end"]) == tuple(t.isoformat() for t in window)
    turns, conversations = _exact(tenant, *window, agent)
    assert totals["events"] == turns, where
    assert totals["conversations"] == conversations, where
    assert totals["conversations_exact"] is True
    active_from = max(window[0], end - mq.ACTIVE_WINDOW)
    assert totals["active_conversations"] == _exact(tenant, active_from, window[1], agent)[1], where
    for row in live.series.to_dicts():
        _check_row(row, f"{where}, bucket {row['bucket']}")
    for dimension, frame in live.breakdowns.items():
        for row in frame.to_dicts():
            _check_row(row, f"{where}, {dimension}={row['dimension']}")
