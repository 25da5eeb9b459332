"""Pure processors: bus messages in, column batches and dead letters out."""

from __future__ import annotations

import uuid

import orjson

from core.bus import BusMessage
from core.events import validate_event
from ingest.processors import EVENT_COLUMNS, process, process_dead_letters

TENANT = str(uuid.uuid4())


def _message(events: list[dict], mid: str = "1-0") -> BusMessage:
    return BusMessage("conversation.logs", TENANT, orjson.dumps({"v": 1, "events": events}), mid)


def _event(**payload: object) -> dict:
    raw = {"type": "conversation.logs", "payload": {"agent_id": "a1", "conversation_id": "c1", **payload}}
    return validate_event(raw, TENANT).model_dump()


def test_events_become_columns() -> None:
    batch = process([_message([_event(outcome="handoff", latency_ms=10, user_message="hi"), _event(csat=4)])])
    assert batch.rows == 2 and not batch.dead_letters
    assert set(batch.columns) == set(EVENT_COLUMNS)
    assert batch.columns["is_handoff"] == [1, 0]
    assert batch.columns["csat"] == [None, 4]
    assert orjson.loads(batch.columns["payload"][0])["user_message"] == "hi"
    assert batch.counts_by_type == {"conversation.logs": 2}


def test_bad_events_become_dead_letters_and_good_ones_survive() -> None:
    bad_tenant = {**_event(), "tenant_id": "not-a-uuid"}
    negative = _event()
    negative["payload"]["cost_usd"] = -3
    batch = process([_message([_event(), bad_tenant, negative, "junk"])])
    assert batch.rows == 1
    reasons = [d.reason for d in batch.dead_letters]
    assert len(reasons) == 3
    assert any("negative" in r for r in reasons)


def test_unreadable_message_is_a_dead_letter() -> None:
    batch = process([BusMessage("conversation.logs", TENANT, b"{not json", "9-0")])
    assert batch.rows == 0 and len(batch.dead_letters) == 1
    assert "unreadable" in batch.dead_letters[0].reason


def test_other_event_types_keep_their_payload() -> None:
    env = validate_event({"type": "agent.events", "payload": {"agent_id": "a", "kind": "deployed"}}, TENANT)
    batch = process([BusMessage("agent.events", TENANT, orjson.dumps({"events": [env.model_dump()]}), "1-0")])
    assert batch.columns["type"] == ["agent.events"]
    assert orjson.loads(batch.columns["payload"][0])["kind"] == "deployed"


def test_api_dead_letters_are_read_back() -> None:
    item = {"tenant_id": TENANT, "type": "x", "reason": "bad", "raw": "{}", "received_at": "2026-01-01T00:00:00+00:00"}
    letters = process_dead_letters([BusMessage("events.deadletter", TENANT, orjson.dumps({"items": [item]}), "1-0")])
    assert letters[0].reason == "bad" and letters[0].tenant_id == TENANT
