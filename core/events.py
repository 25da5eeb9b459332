"""The event envelope (versioned) and the payload of each event type.

Producers (the chat runtime, ``POST /api/v1/analytics/events``, integrations) send
:class:`EventIn`; the tenant is never taken from the body but from the caller's key, and the
accepted event travels the bus as an :class:`Envelope`. Payload models are strict about
types and ranges so a malformed event is rejected with a reason instead of poisoning a
dashboard; a turn's channel is one of :class:`core.channels.Channel` (a connector name that
older producers sent, such as ``twilio``, is taken as its channel), and its environment one of
:data:`core.environments.ENVIRONMENTS` ("" = not said: counted in all-environment figures,
never in a per-environment one or a verdict). The row a turn becomes in ClickHouse is
:class:`core.event_record.EventRecord`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.channels import Channel, normalize_channel
from core.environments import ENVIRONMENTS, environment_of
from core.outcomes import EventOutcome

SCHEMA_VERSION: Literal[1] = 1
MAX_BATCH = 5000  # events per API request
MAX_EVENT_BYTES = 64 * 1024
MAX_CLOCK_SKEW = dt.timedelta(minutes=10)

EventType = Literal["conversation.logs", "agent.events", "integration.webhooks", "analytics.metrics"]
EVENT_TYPES: tuple[str, ...] = ("conversation.logs", "agent.events", "integration.webhooks", "analytics.metrics")
DEAD_LETTER_TOPIC = "events.deadletter"

Short = Annotated[str, Field(max_length=200)]


_CHANNELS = frozenset(c.value for c in Channel)


def _channel(value: str) -> str:
    """A channel of :class:`core.channels.Channel` ("" = not said); the connector names older
    producers sent (``twilio``, ``web_widget``) are taken as their channel."""
    canonical = normalize_channel(value.lower())
    if canonical and canonical not in _CHANNELS:
        raise ValueError(f"unknown channel '{value}'; known: {', '.join(Channel)}")
    return canonical


ChannelName = Annotated[
    str, Field(max_length=200, json_schema_extra={"enum": ["", *sorted(_CHANNELS)]}), AfterValidator(_channel)
]


EnvironmentName = Annotated[
    str,
    Field(max_length=20, json_schema_extra={"enum": ["", *ENVIRONMENTS]}),
    AfterValidator(environment_of),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ConversationLog(_Strict):
    """One turn of a conversation: what analytics counts."""

    agent_id: Short
    version: int = Field(default=0, ge=0)
    conversation_id: Short
    end_user_id: Short = ""
    channel: ChannelName = ""
    # Where the turn was served: per-environment figures and verdicts count only turns that say.
    environment: EnvironmentName = ""
    deployment_id: Short = ""  # the environment's deployment that served the turn
    model: Short = ""
    provider: Short = ""
    intent: Short = ""
    outcome: EventOutcome = "answered"
    cache_kind: Literal["none", "exact", "semantic"] = "none"
    latency_ms: float = Field(default=0, ge=0, le=3_600_000)
    prompt_tokens: int = Field(default=0, ge=0, le=10_000_000)
    completion_tokens: int = Field(default=0, ge=0, le=10_000_000)
    cost_usd: float = Field(default=0, ge=0, le=100_000)
    csat: int | None = Field(default=None, ge=1, le=5)
    user_message: str = Field(default="", max_length=20_000)
    reply: str = Field(default="", max_length=20_000)
    key_id: Short = ""
    extra: dict[str, Any] = Field(default_factory=dict)


class AgentEvent(_Strict):
    agent_id: Short
    kind: Short  # e.g. version.created, deployment.started, rollout.advanced, rollout.rolled_back
    version: int = Field(default=0, ge=0)
    environment: Short = ""
    details: dict[str, Any] = Field(default_factory=dict)


class IntegrationWebhook(_Strict):
    integration_id: Short
    provider: Short
    provider_event_id: Short = ""
    status: Short = "received"
    details: dict[str, Any] = Field(default_factory=dict)


class AnalyticsMetric(_Strict):
    name: Short
    value: float
    unit: Short = ""
    agent_id: Short = ""
    dimensions: dict[str, str] = Field(default_factory=dict)


PAYLOADS: dict[str, type[_Strict]] = {
    "conversation.logs": ConversationLog,
    "agent.events": AgentEvent,
    "integration.webhooks": IntegrationWebhook,
    "analytics.metrics": AnalyticsMetric,
}


class EventIn(_Strict):
    """What a producer sends; ``event_id`` makes retries safe (the store deduplicates on it).

    Without ``event_id`` the event's identity is :func:`content_event_id` of what the producer
    sent, so a retry of the same body is the same event even when the server stamps ``ts``.
    """

    event_id: uuid.UUID | None = None
    type: EventType
    ts: dt.datetime | None = None
    source: Annotated[str, Field(max_length=64)] = "api"
    schema_version: Literal[1] = SCHEMA_VERSION
    payload: dict[str, Any]

    @field_validator("ts")
    @classmethod
    def _aware_and_not_future(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        if value > dt.datetime.now(dt.UTC) + MAX_CLOCK_SKEW:
            raise ValueError("ts is in the future")
        return value


class Envelope(BaseModel):
    """An accepted event as it travels the bus."""

    v: int = SCHEMA_VERSION
    event_id: str
    tenant_id: str
    type: str
    ts: str  # ISO 8601 UTC, millisecond precision
    source: str
    payload: dict[str, Any]


# Namespace of content-derived event ids (uuid5); fixed forever, or retries across an upgrade
# would stop matching.
IDENTITY_NAMESPACE = uuid.UUID("5b0e6c1e-6f1a-4a59-9d3c-0c8a1d2f7e42")


def content_event_id(
    tenant_id: str, event_type: str, source: str, ts: dt.datetime | None, payload: dict[str, Any]
) -> str:
    """The identity of an event sent without ``event_id``: a UUIDv5 of its tenant, type,
    source, the ``ts`` the producer sent (``None`` when the server stamps it) and its validated
    payload, serialised canonically (sorted keys).

    Server-stamped fields never take part, so retrying the same body -- seconds or hours later
    -- names the same event. The flip side, documented in the README: two events a producer
    means as different but sends with identical content and neither ``event_id`` nor ``ts``
    are one event. Producers that can tell them apart send an ``event_id``.
    """
    when = ts.astimezone(dt.UTC).isoformat(timespec="milliseconds") if ts is not None else None
    canonical = orjson.dumps(
        {"tenant_id": tenant_id, "type": event_type, "source": source, "ts": when, "payload": payload},
        option=orjson.OPT_SORT_KEYS,
    )
    return str(uuid.uuid5(IDENTITY_NAMESPACE, canonical.decode()))


def validate_event(raw: Any, tenant_id: str, now: dt.datetime | None = None, *, fresh_id: bool = False) -> Envelope:
    """An envelope for one raw event, or ``ValueError`` with a reason a person can act on.

    An event without ``event_id`` gets :func:`content_event_id`, unless ``fresh_id``: our own
    producers (a chat turn, an alert) create each event exactly once and re-send the envelope,
    never re-create it, so a random id is their identity and identical content stays two events.
    """
    if not isinstance(raw, dict):
        raise ValueError("event must be a JSON object")
    try:
        event = EventIn.model_validate(raw)
        payload = PAYLOADS[event.type].model_validate(event.payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ValueError(f"{where}: {first.get('msg', 'invalid')}" if where else first.get("msg", "invalid")) from None
    ts = (event.ts or now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    fields = payload.model_dump(exclude_defaults=False)
    if event.event_id is not None:
        event_id = str(event.event_id)
    elif fresh_id:
        event_id = str(uuid.uuid4())
    else:
        event_id = content_event_id(tenant_id, event.type, event.source, event.ts, fields)
    return Envelope(
        event_id=event_id,
        tenant_id=tenant_id,
        type=event.type,
        ts=ts.isoformat(timespec="milliseconds"),
        source=event.source,
        payload=fields,
    )
