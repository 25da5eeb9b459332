"""One channel vocabulary in ClickHouse: a turn reported on ``twilio`` is an ``sms`` turn in
the raw events, in every rollup and on the dashboard, and the data migration moves rows
written before the vocabulary was one."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from analytics import schema
from analytics.queries import explorer
from analytics.queries import metrics as mq
from core import clickhouse, event_record
from core.bus import BusMessage
from core.config import get_settings
from core.event_record import EventRecord
from core.events import validate_event
from ingest import fastpath
from ingest.processors import InsertBatch, process
from ingest.writers import write_events, write_events_arrow
from va_app.domain.dashboards.service import DashboardRequest, resolve, run_panel

pytestmark = pytest.mark.clickhouse
HOUR = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=2)


def _db() -> str:
    return get_settings().clickhouse.database


def _by_channel(table: str, tenant: str) -> dict[str, int]:
    total = "count()" if table == "events" else "sum(events)"
    rows = clickhouse.query_rows(
        f"SELECT channel, {total} FROM {_db()}.{table} WHERE tenant_id = {{t:UUID}} GROUP BY channel",
        {"t": tenant},
    )
    return {str(r[0]): int(r[1]) for r in rows}


def _everywhere(tenant: str) -> list[dict[str, int]]:
    return [_by_channel(t, tenant) for t in ("events", *schema.CHANNEL_ROLLUPS)]


def _old_rows(tenant: str, channels: list[str]) -> None:
    """Rows as producers wrote them before the vocabulary: straight into ``events``."""
    batch = InsertBatch()
    for i, channel in enumerate(channels):
        batch.append(
            EventRecord(
                event_id=str(uuid.uuid4()),
                tenant_id=tenant,
                type="conversation.logs",
                ts=HOUR + dt.timedelta(minutes=10, seconds=i),
                agent_id="a1",
                conversation_id=f"c{i % 3}",
                channel=channel,
                outcome="answered",
                latency_ms=float(10 * i),
            )
        )
    write_events(batch, str(uuid.uuid4()))


def test_events_table_matches_the_record() -> None:
    rows = clickhouse.query_rows(
        "SELECT name, type, default_expression, compression_codec FROM system.columns "
        "WHERE database = {db:String} AND table = 'events' ORDER BY position",
        {"db": _db()},
    )
    expected = [(c.name, c.clickhouse, c.default, f"CODEC({c.codec})" if c.codec else "") for c in event_record.COLUMNS]
    assert [tuple(r) for r in rows] == expected


def test_a_turn_sent_as_twilio_is_sms_in_raw_rollups_and_dashboards() -> None:
    tenant = str(uuid.uuid4())

    def turn(i: int, channel: str) -> dict[str, Any]:
        ts = (HOUR + dt.timedelta(minutes=5, seconds=i)).isoformat()
        payload = {"agent_id": "a1", "conversation_id": f"c{i}", "channel": channel}
        return validate_event({"type": "conversation.logs", "ts": ts, "payload": payload}, tenant).model_dump()

    def legacy(envelope: dict[str, Any], channel: str) -> dict[str, Any]:  # an old producer, bypassing validation
        return {**envelope, "payload": {**envelope["payload"], "channel": channel}}

    through_api = [turn(0, "twilio"), turn(1, "sms"), turn(2, "web_widget")]
    old_on_bus = [legacy(turn(3, "sms"), "twilio"), legacy(turn(4, "web"), "web_widget")]
    write_events(process([BusMessage("conversation.logs", tenant, orjson.dumps({"events": through_api}), "1-0")]), "t1")
    write_events(process([BusMessage("conversation.logs", tenant, orjson.dumps({"events": old_on_bus}), "2-0")]), "t2")
    fast = fastpath.process_fast([orjson.dumps({"v": 1, "fmt": "va", "events": [legacy(turn(5, "sms"), "twilio")]})])
    assert fast is not None
    write_events_arrow(fast, "t3-" + tenant)

    assert _everywhere(tenant) == [{"sms": 4, "web": 2}] * 3
    query = resolve(tenant, DashboardRequest(start=HOUR - dt.timedelta(hours=1), end=HOUR + dt.timedelta(hours=1)))
    assert mq.choose_table(mq.MetricQuery(tenant, query.start, query.end, "total", "channel")) == "rollup_1h_channel"
    panel = run_panel(query, "by_channel")
    assert {row["dimension"]: row["events"] for row in panel} == {"sms": 4, "web": 2}
    # a filter naming the connector (an old link) still finds the channel's turns
    old_filter = explorer.ExplorerQuery(tenant, HOUR, HOUR + dt.timedelta(hours=1), filters={"channel": "twilio"})
    assert explorer.search_turns(old_filter).height == 4


def test_migration_moves_old_rows_into_the_channel_and_is_idempotent() -> None:
    tenant = str(uuid.uuid4())
    _old_rows(tenant, ["twilio"] * 5 + ["sms"] * 3 + ["web_widget"] * 2 + ["web"])
    assert _everywhere(tenant) == [{"twilio": 5, "sms": 3, "web_widget": 2, "web": 1}] * 3

    found = schema.unify_channels(_db())
    assert found["events"] >= 7 and all(found[t] >= 1 for t in schema.CHANNEL_ROLLUPS)
    assert _everywhere(tenant) == [{"sms": 8, "web": 3}] * 3
    # aggregate states moved as they were: conversations and latency merge with the rows already there
    merged = clickhouse.query_rows(
        f"SELECT channel, uniqHLL12Merge(conversations), quantilesTDigestMerge(0.5, 0.95, 0.99)(latency)[3] "
        f"FROM {_db()}.rollup_1h_channel WHERE tenant_id = {{t:UUID}} GROUP BY channel ORDER BY channel",
        {"t": tenant},
    )
    assert [(r[0], r[1]) for r in merged] == [("sms", 3), ("web", 3)]
    assert merged[0][2] == pytest.approx(70.0)  # the slowest sms turn was one of the old twilio rows

    assert schema.unify_channels(_db()) == dict.fromkeys(("events", *schema.CHANNEL_ROLLUPS), 0)
    assert _everywhere(tenant) == [{"sms": 8, "web": 3}] * 3


def test_a_crash_between_reinsert_and_delete_still_counts_once(monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = str(uuid.uuid4())
    _old_rows(tenant, ["twilio"] * 4 + ["sms"] * 2)
    real = clickhouse.locked_client

    class CrashOnDelete:
        def __init__(self, client: Any) -> None:
            self.client = client

        def command(self, sql: str, **kwargs: Any) -> Any:
            if "DELETE" in sql and "rollup_1h_channel" in sql:
                raise RuntimeError("killed")
            return self.client.command(sql, **kwargs)

    @contextlib.contextmanager
    def crashing() -> Iterator[CrashOnDelete]:
        with real() as client:
            yield CrashOnDelete(client)

    monkeypatch.setattr(clickhouse, "locked_client", crashing)
    with pytest.raises(RuntimeError):
        schema.unify_channels(_db())
    monkeypatch.setattr(clickhouse, "locked_client", real)
    schema.unify_channels(_db())  # the next start finishes the job
    assert _everywhere(tenant) == [{"sms": 6}] * 3


def test_apply_schema_runs_the_channel_migration_once() -> None:
    tenant = str(uuid.uuid4())
    _old_rows(tenant, ["web_widget", "web"])
    with clickhouse.locked_client() as client:
        client.command(
            f"ALTER TABLE {_db()}.schema_migrations DELETE WHERE version = 4", settings={"mutations_sync": 2}
        )
    assert schema.apply_schema() == [4]
    assert _everywhere(tenant) == [{"web": 2}] * 3
    assert schema.apply_schema() == []
