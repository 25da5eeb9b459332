"""``va analytics verify``: clean data verifies clean; injected drift in the raw table and in
the rollups is found per table and bucket, and ``--repair`` rebuilds it from the raw events."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import orjson
import pytest
from typer.testing import CliRunner

from analytics import reconcile
from analytics.schema import ROLLUPS
from core import clickhouse
from core.bus import BusMessage
from core.events import validate_event
from ingest.processors import process
from ingest.writers import write_events
from va_app.cli import app

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]
runner = CliRunner()
TABLES = ("events", *(r.name for r in ROLLUPS))


def _events(tenant: str, n: int, at: dt.datetime) -> list[dict[str, object]]:
    return [
        validate_event(
            {
                "event_id": str(uuid.uuid4()),
                "type": "conversation.logs",
                "ts": (at + dt.timedelta(seconds=37 * i)).isoformat(),
                "payload": {
                    "agent_id": "4f2c1a60-0000-4000-8000-00000000000a",
                    "conversation_id": f"c-{i % 7}",
                    "channel": "web" if i % 2 else "sms",
                    "intent": "billing" if i % 3 else "hours",
                    "outcome": "handoff" if i % 5 == 0 else "answered",
                    "cost_usd": 0.01 * (i % 4),
                    "prompt_tokens": 10 + i,
                    "csat": 1 + i % 5 if i % 2 else None,
                    "latency_ms": 50 + i,
                },
            },
            tenant,
        ).model_dump(mode="json")
        for i in range(n)
    ]


def _insert(tenant: str, events: list[dict[str, object]], token: str) -> None:
    message = BusMessage("conversation.logs", tenant, orjson.dumps({"events": events}), "1-0")
    write_events(process([message]), token=token)


def _totals(tenant: str) -> dict[str, float]:
    out = {}
    for rollup in ROLLUPS:
        rows = clickhouse.query_rows(
            f"SELECT sum(events), sum(cost_usd) FROM va.{rollup.name} WHERE tenant_id = {{t:UUID}}", {"t": tenant}
        )
        out[rollup.name] = float(rows[0][0] or 0)
        out[rollup.name + ".cost"] = round(float(rows[0][1] or 0), 9)
    out["events"] = float(
        clickhouse.query_rows("SELECT count() FROM va.events WHERE tenant_id = {t:UUID}", {"t": tenant})[0][0]
    )
    return out


def test_drift_is_found_per_table_and_bucket_and_repaired() -> None:
    tenant = str(uuid.uuid4())
    at = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=3)
    events = _events(tenant, 120, at)
    _insert(tenant, events, f"rec-{uuid.uuid4()}")
    since = at - dt.timedelta(hours=1)
    clean = reconcile.verify(tenant, since)
    assert clean.clean, clean.as_dict()["drift"]
    assert set(clean.buckets) == set(TABLES) and clean.buckets["rollup_1h"] >= 2
    expected = _totals(tenant)
    assert expected["events"] == 120 and all(expected[r.name] == 120 for r in ROLLUPS)

    # Drift: ten events stored again under another token (a copy that escaped deduplication:
    # raw + every rollup), and one minute bucket lost from rollup_1m.
    copies = [
        dict(e, ts=(dt.datetime.fromisoformat(str(e["ts"])) + dt.timedelta(seconds=1)).isoformat()) for e in events[:10]
    ]
    _insert(tenant, copies, f"rec-{uuid.uuid4()}")
    lost = at + dt.timedelta(seconds=37 * 60)
    clickhouse.command(
        "ALTER TABLE va.rollup_1m DELETE WHERE tenant_id = {t:UUID} AND minute = toStartOfMinute({m:DateTime('UTC')})",
        {"t": tenant, "m": lost.replace(tzinfo=None)},
    )
    drifted = reconcile.verify(tenant, since)
    assert not drifted.clean
    by_table = {d.table for d in drifted.drift}
    assert by_table == set(TABLES), by_table
    raw = [d for d in drifted.drift if d.table == "events"]
    assert len(raw) == 1 and raw[0].stored["copies"] == 10 and raw[0].expected["copies"] == 0
    minute = [d for d in drifted.drift if d.table == "rollup_1m" and d.bucket == lost.replace(second=0)]
    assert minute and minute[0].stored["events"] == 0 and minute[0].expected["events"] >= 1
    hourly = [d for d in drifted.drift if d.table == "rollup_1h"]
    assert sum(d.stored["events"] - d.expected["events"] for d in hourly) == 10
    assert "cost_usd" in hourly[0].metrics or "events" in hourly[0].metrics

    repaired = reconcile.verify(tenant, since, repair=True, settle=dt.timedelta(0))
    assert repaired.clean, repaired.as_dict()["drift"]
    assert repaired.repaired["events"] == 1 and repaired.repaired["rollup_1m"] >= 1
    assert _totals(tenant) == expected


def test_cli_exits_1_on_drift_and_0_after_repair() -> None:
    created = runner.invoke(
        app, ["tenant", "create", f"Verify {uuid.uuid4().hex[:6]}", "--owner-email", "v@example.com"]
    )
    assert created.exit_code == 0, created.output
    body = json.loads(created.stdout)
    slug, tenant = body["slug"], str(body["tenant_id"])
    at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    events = _events(tenant, 20, at)
    _insert(tenant, events, f"cli-{uuid.uuid4()}")
    ok = runner.invoke(app, ["analytics", "verify", "--tenant", slug, "--since", "1d", "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["drift"] == []
    _insert(tenant, events[:3], f"cli-{uuid.uuid4()}")  # a duplicate batch under a new token
    bad = runner.invoke(app, ["analytics", "verify", "--tenant", slug, "--since", "1d", "--json"])
    assert bad.exit_code == 1, bad.output
    report = json.loads(bad.stdout)
    assert {d["table"] for d in report["drift"]} >= {"events", "rollup_1m", "rollup_1h"}
    fixed = runner.invoke(app, ["analytics", "verify", "--tenant", slug, "--since", "1d", "--repair"])
    assert fixed.exit_code == 0, fixed.output
    unknown = runner.invoke(app, ["analytics", "verify", "--tenant", "no-such-tenant"])
    assert unknown.exit_code == 1 and "no tenant" in unknown.output
