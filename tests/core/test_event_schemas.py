"""Envelope validation: good events pass, bad ones fail with a reason a person can act on."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from core.events import validate_event

TENANT = str(uuid.uuid4())


def _log(**payload: object) -> dict:
    base = {"agent_id": "a", "conversation_id": "c"}
    return {"type": "conversation.logs", "payload": {**base, **payload}}


def test_valid_event_gets_id_tenant_and_utc_ts() -> None:
    env = validate_event(_log(latency_ms=12.5, csat=5), TENANT)
    assert uuid.UUID(env.event_id) and env.tenant_id == TENANT
    assert env.ts.endswith("+00:00")
    assert env.payload["latency_ms"] == 12.5 and env.payload["csat"] == 5


def test_given_event_id_and_ts_are_kept() -> None:
    eid = str(uuid.uuid4())
    env = validate_event({**_log(), "event_id": eid, "ts": "2026-01-01T10:00:00+02:00"}, TENANT)
    assert env.event_id == eid and env.ts == "2026-01-01T08:00:00.000+00:00"


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ("nope", "JSON object"),
        ({"type": "conversation.logs"}, "payload"),
        ({"type": "unknown.kind", "payload": {}}, "type"),
        (_log(latency_ms=-1), "latency_ms"),
        (_log(csat=9), "csat"),
        (_log(outcome="exploded"), "outcome"),
        ({**_log(), "tenant_id": TENANT}, "tenant_id"),
        ({**_log(), "ts": "yesterday"}, "ts"),
        ({**_log(), "ts": (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()}, "future"),
        ({"type": "analytics.metrics", "payload": {"name": "x"}}, "value"),
    ],
)
def test_invalid_events_name_the_problem(event: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        validate_event(event, TENANT)


def test_a_turn_says_where_it_was_served() -> None:
    payload = {"agent_id": "a", "conversation_id": "c"}
    served = validate_event(
        {"type": "conversation.logs", "payload": {**payload, "environment": " Staging ", "deployment_id": "d-1"}}, "t"
    )
    assert served.payload["environment"] == "staging" and served.payload["deployment_id"] == "d-1"
    assert validate_event({"type": "conversation.logs", "payload": payload}, "t").payload["environment"] == ""
    with pytest.raises(ValueError, match="unknown environment 'qa'"):
        validate_event({"type": "conversation.logs", "payload": {**payload, "environment": "qa"}}, "t")
