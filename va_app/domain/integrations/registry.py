"""The connector types the hub knows: what each needs (credential and config schemas), what it
can do (capabilities, actions) and how to check it works (``test_connection``).

Connector modules (``channels``, ``crm``) register themselves; ``catalog`` imports them all.
A type is data plus a few functions, not a class hierarchy, so adding a provider is one
``register(...)`` call next to its code.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Capability = Literal["inbound_channel", "outbound_action", "sync", "ticket"]


class Schema(BaseModel):
    """Credential and config schemas refuse unknown fields: a typo must not be stored silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EmptySchema(Schema):
    pass


@dataclass(frozen=True)
class Connection:
    """One connected integration with its credentials decrypted (never logged, never returned)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    kind: str
    name: str
    config: dict[str, Any]
    credentials: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class InboundRequest:
    """An inbound webhook as the provider sent it: the raw body is what signatures cover."""

    method: str
    url: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    query: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InboundMessage:
    """One end-user message; ``thread`` is whatever the provider needs to answer in place."""

    event_id: str
    conversation_key: str  # provider thread/user identity; hashed into our conversation id
    user_id: str
    text: str
    thread: dict[str, Any]


@dataclass(frozen=True)
class ParsedWebhook:
    event_id: str
    timestamp: float | None  # provider's send time, for the replay window (None: provider sends none)
    messages: list[InboundMessage]
    immediate: Any = None  # an answer the provider expects synchronously (Slack's challenge)


# Verify may be async: some providers' signatures need a fetched key (Bot Framework's JWKS).
Verify = Callable[[Connection, InboundRequest], Awaitable[None] | None]
Parse = Callable[[Connection, InboundRequest], ParsedWebhook]
Reply = Callable[[Connection, InboundMessage, str], Awaitable[None]]
TestConnection = Callable[[Connection], Awaitable[None]]
Action = Callable[[Connection, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class ConnectorType:
    kind: str
    title: str
    capabilities: tuple[Capability, ...]
    credentials: type[Schema]
    config: type[Schema]
    test_connection: TestConnection
    verify: Verify | None = None
    parse: Parse | None = None
    reply: Reply | None = None
    actions: dict[str, Action] = field(default_factory=dict)
    signature_header: str = ""  # present on every genuine webhook: absent means 401, not 403

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "capabilities": list(self.capabilities),
            "actions": sorted(self.actions),
            "credentials_schema": self.credentials.model_json_schema(),
            "config_schema": self.config.model_json_schema(),
        }


_types: dict[str, ConnectorType] = {}


def register(connector: ConnectorType) -> ConnectorType:
    _types[connector.kind] = connector
    return connector


def get_type(kind: str) -> ConnectorType | None:
    return _types.get(kind)


def all_types() -> list[ConnectorType]:
    return sorted(_types.values(), key=lambda c: c.kind)


class WebhookRejected(Exception):
    """An inbound webhook refused before anything was enqueued; ``status`` is the HTTP answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
