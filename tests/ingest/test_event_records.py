"""Both processors build the same ``events`` rows, and both take an older producer's
connector name (``twilio``, ``web_widget``) as its channel."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import orjson
import pyarrow as pa

from core import event_record
from core.bus import BusMessage
from core.events import validate_event
from ingest import fastpath, writers
from ingest.processors import process

TENANT = str(uuid.uuid4())


def _turn(i: int, **payload: object) -> dict[str, Any]:
    raw = {
        "type": "conversation.logs",
        "ts": (dt.datetime(2026, 11, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=i)).isoformat(),
        "payload": {"agent_id": "a1", "conversation_id": f"c{i}", "latency_ms": 12.5, "prompt_tokens": 9, **payload},
    }
    return validate_event(raw, TENANT).model_dump()


def _legacy(envelope: dict[str, Any], channel: str) -> dict[str, Any]:
    """What a producer from before the channel vocabulary put on the bus."""
    return {**envelope, "payload": {**envelope["payload"], "channel": channel}}


def _message(events: list[dict[str, Any]]) -> BusMessage:
    return BusMessage("conversation.logs", TENANT, orjson.dumps({"v": 1, "fmt": "va", "events": events}), "1-0")


def test_fast_and_field_by_field_paths_build_the_same_rows() -> None:
    events = [
        _turn(0, channel="web", outcome="handoff", csat=2, user_message="hi"),
        _turn(1, channel="sms", cache_kind="exact", cost_usd=0.25),
        _legacy(_turn(2), "twilio"),
        _legacy(_turn(3), "web_widget"),
    ]
    message = _message(events)
    assert fastpath.eligible(message.value)
    fast = fastpath.process_fast([message.value])
    slow = writers.to_arrow(process([message]))
    assert fast is not None
    assert fast.column_names == slow.column_names == list(event_record.INSERT_COLUMNS)
    for name in event_record.INSERT_COLUMNS:
        if name != "payload":  # the same text fields, serialised by two JSON writers
            assert fast.column(name).to_pylist() == slow.column(name).to_pylist(), name
    assert slow.column("channel").to_pylist() == ["web", "sms", "sms", "web"]
    assert fast.schema.field("version").type == pa.uint32() and fast.schema.field("csat").type == pa.uint8()


def test_other_event_types_have_no_channel() -> None:
    env = validate_event({"type": "agent.events", "payload": {"agent_id": "a", "kind": "x"}}, TENANT).model_dump()
    batch = process([BusMessage("agent.events", TENANT, orjson.dumps({"events": [env]}), "1-0")])
    assert batch.columns["channel"] == [""] and batch.columns["agent_id"] == ["a"]


def test_both_paths_keep_where_a_turn_was_served_and_refuse_unknown_environments() -> None:
    deployment = str(uuid.uuid4())
    events = [
        _turn(0, environment="production", deployment_id=deployment),
        _turn(1, environment="staging", channel="console"),
        _turn(2),  # a producer that does not say: unknown
    ]
    message = _message(events)
    fast = fastpath.process_fast([message.value])
    slow = writers.to_arrow(process([message]))
    assert fast is not None
    for path in (fast, slow):
        assert path.column("environment").to_pylist() == ["production", "staging", ""]
        assert path.column("deployment_id").to_pylist() == [deployment, "", ""]
        assert "environment" not in orjson.loads(path.column("payload")[0].as_py())  # a column, not payload

    smuggled = {**events[0], "payload": {**events[0]["payload"], "environment": "prod"}}  # bypassing validation
    assert fastpath.process_fast([_message([smuggled]).value]) is None
    batch = process([_message([smuggled])])
    assert batch.rows == 0 and "unknown environment 'prod'" in batch.dead_letters[0].reason
