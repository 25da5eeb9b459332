"""One channel vocabulary: connector names are not channels, old producers still land right."""

from __future__ import annotations

import uuid

import pytest

from core.channels import (
    AGENT_CHANNELS,
    CONNECTOR_CHANNELS,
    LEGACY_CHANNELS,
    Channel,
    channel_of_connector,
    normalize_channel,
)
from core.events import validate_event

TENANT = str(uuid.uuid4())


def _turn(channel: object) -> dict[str, object]:
    payload = {"agent_id": "a1", "conversation_id": "c1", "channel": channel}
    return {"type": "conversation.logs", "payload": payload}


def test_connectors_map_to_the_channel_their_users_use() -> None:
    assert channel_of_connector("twilio") is Channel.SMS
    assert channel_of_connector("web_widget") is Channel.WEB
    assert all(channel_of_connector(kind) is channel for kind, channel in CONNECTOR_CHANNELS.items())
    with pytest.raises(KeyError):
        channel_of_connector("salesforce")  # an outbound action, not a channel


def test_legacy_values_are_exactly_the_connector_names_that_are_not_channels() -> None:
    assert LEGACY_CHANNELS == {"twilio": Channel.SMS, "web_widget": Channel.WEB}
    assert normalize_channel("twilio") == "sms" and normalize_channel("web_widget") == "web"
    assert normalize_channel("web") == "web" and normalize_channel("") == ""
    assert normalize_channel("pigeon") == "pigeon"  # the ingest path keeps what it cannot name


def test_agents_cannot_declare_the_operator_console() -> None:
    assert Channel.CONSOLE not in AGENT_CHANNELS
    assert set(AGENT_CHANNELS) | {Channel.CONSOLE} == set(Channel)


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("twilio", "sms"), ("web_widget", "web"), (" Web ", "web"), ("SMS", "sms"), ("console", "console"), ("", "")],
)
def test_event_contract_normalises_channels(sent: str, stored: str) -> None:
    envelope = validate_event(_turn(sent), TENANT)
    assert envelope.payload["channel"] == stored
    assert type(envelope.payload["channel"]) is str  # plain JSON on the bus, not an enum


def test_event_contract_refuses_an_unknown_channel_with_a_reason() -> None:
    with pytest.raises(ValueError, match="unknown channel 'pigeon'"):
        validate_event(_turn("pigeon"), TENANT)
