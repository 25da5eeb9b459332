"""``unanswered`` turns reach ClickHouse (both ingest paths), count against automation in the
raw table and every rollup, and show in "unresolved intents"."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import orjson
import polars as pl
import pytest

from core.bus import BusMessage
from core.events import validate_event
from core.outcomes import AUTOMATED, OUTCOMES
from ingest import fastpath
from ingest.processors import process
from ingest.writers import write_events, write_events_arrow
from va_app.domain.dashboards import figures
from va_app.domain.dashboards.service import DashboardRequest, resolve, run_panel

pytestmark = pytest.mark.clickhouse
HOUR = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=2)

# (intent, outcome): the spa questions mostly go unanswered
TURNS = [
    ("spa", "answered"),
    ("spa", "unanswered"),
    ("spa", "unanswered"),
    ("spa", "handoff"),
    ("breakfast", "answered"),
    ("breakfast", "answered"),
]


def _turn(tenant: str, i: int, intent: str, outcome: str) -> dict[str, Any]:
    ts = (HOUR + dt.timedelta(minutes=5, seconds=i)).isoformat()
    payload = {"agent_id": "a1", "conversation_id": f"c{i}", "intent": intent, "outcome": outcome}
    return validate_event({"type": "conversation.logs", "ts": ts, "payload": payload}, tenant).model_dump()


def test_outcome_vocabulary_is_one_definition() -> None:
    assert set(OUTCOMES) == {"answered", "unanswered", "blocked", "handoff", "error"}
    assert AUTOMATED == "answered"


@pytest.mark.parametrize("path", ["fields", "fast"])
@pytest.mark.parametrize("source", ["auto", "raw"])
def test_unanswered_counts_against_automation_and_is_unresolved(path: str, source: str) -> None:
    tenant = str(uuid.uuid4())
    envelopes = [_turn(tenant, i, intent, outcome) for i, (intent, outcome) in enumerate(TURNS)]
    if path == "fields":
        message = BusMessage("conversation.logs", tenant, orjson.dumps({"events": envelopes}), "1-0")
        write_events(process([message]), "u1-" + tenant)
    else:
        fast = fastpath.process_fast([orjson.dumps({"v": 1, "fmt": "va", "events": envelopes})])
        assert fast is not None, "an unanswered turn is a valid row for the fast path"
        write_events_arrow(fast, "u2-" + tenant)

    query = resolve(
        tenant,
        DashboardRequest(start=HOUR - dt.timedelta(hours=1), end=HOUR + dt.timedelta(hours=1), source=source),
    )
    summary = run_panel(query, "summary")
    assert summary["events"] == 6
    assert summary["automation_rate"] == pytest.approx(3 / 6)
    by_intent = pl.DataFrame(run_panel(query, "by_intent"))
    fig = figures.unresolved_intents(by_intent)
    unresolved = dict(zip(fig.data[0].x, fig.data[0].y, strict=True))
    assert unresolved["spa"] == pytest.approx(3 / 4)  # two unanswered and a handoff of four
    assert unresolved["breakfast"] == 0
