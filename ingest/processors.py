"""Pure processors: bus messages in, an insert batch out. No I/O, so tests assert on batches.

A bus message carries ``{"v": 1, "events": [envelope, ...]}`` (producers batch events per
message so the bus moves thousands of events per round trip). Anything that cannot be
turned into a row becomes a dead letter with the reason, never a silent drop.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from core import event_record
from core.bus import BusMessage
from core.channels import normalize_channel
from core.environments import environment_of
from core.event_record import EventRecord

EVENT_COLUMNS = event_record.INSERT_COLUMNS
_PROMOTED = frozenset(event_record.PROMOTED_COLUMNS)  # kept out of the payload JSON of a turn


@dataclass
class DeadLetter:
    tenant_id: str
    source: str
    type: str
    reason: str
    raw: str
    received_at: dt.datetime
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class InsertBatch:
    """Column-oriented rows for ``events`` plus the dead letters found on the way."""

    columns: dict[str, list[Any]] = field(default_factory=lambda: {c: [] for c in EVENT_COLUMNS})
    dead_letters: list[DeadLetter] = field(default_factory=list)
    counts_by_type: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return len(self.columns["event_id"])

    def append(self, record: EventRecord) -> None:
        for name, value in zip(EVENT_COLUMNS, event_record.values(record), strict=True):
            self.columns[name].append(value)
        self.counts_by_type[record.type] = self.counts_by_type.get(record.type, 0) + 1


def _parse_ts(value: Any) -> dt.datetime:
    ts = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    if ts is None:
        raise ValueError("ts must be an ISO 8601 string")
    return ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)


def to_record(event: dict[str, Any]) -> EventRecord:
    """The row of one envelope, or ValueError (KeyError, TypeError) with a reason."""
    event_id = str(uuid.UUID(str(event["event_id"])))
    tenant_id = str(uuid.UUID(str(event["tenant_id"])))
    etype = event["type"]
    if not isinstance(etype, str) or not etype:
        raise ValueError("type must be a non-empty string")
    payload = event.get("payload") or {}
    if not isinstance(payload, dict):
        raise ValueError("payload must be an object")
    ts = _parse_ts(event["ts"])
    is_conversation = etype == "conversation.logs"

    def text(name: str) -> str:  # turn fields only; other event types keep theirs in the payload
        return str(payload.get(name, "") or "")[:200] if is_conversation else ""

    outcome = text("outcome")
    record = EventRecord(
        event_id=event_id,
        tenant_id=tenant_id,
        type=etype,
        ts=ts,
        source=str(event.get("source", ""))[:64],
        agent_id=str(payload.get("agent_id", ""))[:200],
        version=int(payload.get("version", 0) or 0),
        conversation_id=text("conversation_id"),
        end_user_id=text("end_user_id"),
        channel=normalize_channel(text("channel")),  # older producers named the connector
        environment=environment_of(text("environment")),  # "" (unknown) for producers that do not say
        deployment_id=text("deployment_id"),
        model=text("model"),
        provider=text("provider"),
        intent=text("intent"),
        outcome=outcome,
        cache_kind=text("cache_kind"),
        latency_ms=float(payload.get("latency_ms", 0) or 0),
        prompt_tokens=int(payload.get("prompt_tokens", 0) or 0),
        completion_tokens=int(payload.get("completion_tokens", 0) or 0),
        cost_usd=float(payload.get("cost_usd", 0) or 0),
        csat=int(payload["csat"]) if payload.get("csat") is not None else None,
        is_error=1 if outcome == "error" else 0,
        is_handoff=1 if outcome == "handoff" else 0,
        payload=orjson.dumps(
            {k: v for k, v in payload.items() if k not in _PROMOTED} if is_conversation else payload
        ).decode(),
    )
    if record.version < 0 or record.latency_ms < 0 or record.cost_usd < 0:
        raise ValueError("version, latency_ms and cost_usd must not be negative")
    if record.prompt_tokens < 0 or record.completion_tokens < 0:
        raise ValueError("token counts must not be negative")
    return record


def process(messages: list[BusMessage], now: dt.datetime | None = None) -> InsertBatch:
    """Turn a fetched batch into rows; malformed messages or events become dead letters."""
    received = now or dt.datetime.now(dt.UTC)
    batch = InsertBatch()
    for message in messages:
        try:
            body = orjson.loads(message.value)
            events = body["events"] if isinstance(body, dict) and "events" in body else [body]
            if not isinstance(events, list):
                raise ValueError("events must be a list")
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            batch.dead_letters.append(
                DeadLetter(
                    message.key, "bus", message.topic, f"unreadable message: {exc}", _raw(message.value), received
                )
            )
            continue
        for event in events:
            try:
                if not isinstance(event, dict):
                    raise ValueError("event must be an object")
                batch.append(to_record(event))
            except (KeyError, TypeError, ValueError) as exc:
                reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
                tenant = str(event.get("tenant_id", message.key)) if isinstance(event, dict) else message.key
                etype = str(event.get("type", message.topic)) if isinstance(event, dict) else message.topic
                batch.dead_letters.append(
                    DeadLetter(tenant, "bus", etype, reason[:500], _raw(orjson.dumps(event)), received)
                )
    return batch


def process_dead_letters(messages: list[BusMessage]) -> list[DeadLetter]:
    """Messages on the dead-letter topic (published by the API) -> rows for ``dead_letters``."""
    letters: list[DeadLetter] = []
    for message in messages:
        try:
            body = orjson.loads(message.value)
            for item in body.get("items", []):
                letters.append(
                    DeadLetter(
                        tenant_id=str(item.get("tenant_id", message.key)),
                        source=str(item.get("source", "api"))[:64],
                        type=str(item.get("type", ""))[:100],
                        reason=str(item.get("reason", ""))[:500],
                        raw=str(item.get("raw", ""))[:65536],
                        received_at=_parse_ts(item.get("received_at") or dt.datetime.now(dt.UTC).isoformat()),
                    )
                )
        except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError) as exc:
            letters.append(
                DeadLetter(
                    message.key,
                    "bus",
                    message.topic,
                    f"unreadable: {exc}",
                    _raw(message.value),
                    dt.datetime.now(dt.UTC),
                )
            )
    return letters


def _raw(value: bytes) -> str:
    return value[:65536].decode("utf-8", errors="replace")
