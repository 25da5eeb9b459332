"""The identity of an event (``core.events``): what a retry must keep and what tells two
events apart."""

from __future__ import annotations

import datetime as dt
import uuid

from core.events import validate_event

TENANT = str(uuid.uuid4())


def _raw(**payload: object) -> dict[str, object]:
    return {"type": "conversation.logs", "payload": {"agent_id": "a", "conversation_id": "c-1", **payload}}


def test_a_retry_without_event_id_or_ts_is_the_same_event_whenever_it_arrives() -> None:
    first = validate_event(_raw(cost_usd=0.1), TENANT, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    retry = validate_event(_raw(cost_usd=0.1), TENANT, dt.datetime(2026, 1, 2, tzinfo=dt.UTC))
    assert first.ts != retry.ts and first.event_id == retry.event_id
    # key order and number spelling do not matter: the validated payload is what counts
    reordered = {"payload": {"cost_usd": 0.1, "conversation_id": "c-1", "agent_id": "a"}, "type": "conversation.logs"}
    assert validate_event(reordered, TENANT).event_id == first.event_id


def test_content_that_differs_is_another_event() -> None:
    base = validate_event(_raw(), TENANT).event_id
    assert validate_event(_raw(latency_ms=5), TENANT).event_id != base
    assert validate_event(_raw(), str(uuid.uuid4())).event_id != base  # another tenant
    assert validate_event({**_raw(), "source": "crm"}, TENANT).event_id != base
    sent_ts = validate_event({**_raw(), "ts": "2026-01-01T10:00:00Z"}, TENANT).event_id
    assert sent_ts != base  # a ts the producer sent is part of what it sent
    assert validate_event({**_raw(), "ts": "2026-01-01T11:00:00+01:00"}, TENANT).event_id == sent_ts


def test_an_event_id_sent_is_kept_and_own_producers_get_random_ids() -> None:
    given = str(uuid.uuid4())
    assert validate_event({**_raw(), "event_id": given}, TENANT).event_id == given
    a = validate_event(_raw(), TENANT, fresh_id=True).event_id
    b = validate_event(_raw(), TENANT, fresh_id=True).event_id
    assert a != b
