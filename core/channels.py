"""The one vocabulary of channels: where a conversation reaches an agent.

Agents declare the channels they serve, producers report the channel of every turn, and
dashboards split traffic by it, so all three must use the same words. Integrations are
named after the vendor that carries the traffic (``twilio``, ``web_widget``); the channel
is what the end user used (``sms``, ``web``). :data:`CONNECTOR_CHANNELS` maps one to the
other, and :func:`normalize_channel` turns the vendor names older producers reported as
channels into channels, so an old producer still lands in the right slice.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args


class Channel(StrEnum):
    WEB = "web"
    WHATSAPP = "whatsapp"
    SLACK = "slack"
    SMS = "sms"
    TEAMS = "teams"
    VOICE = "voice"
    EMAIL = "email"
    API = "api"
    # Operators trying a version in the console: shown in dashboards as its own channel, never
    # counted in rollout or experiment verdicts, and not something an agent is deployed on.
    CONSOLE = "console"


# What an agent can declare and an API caller can claim (the console is the platform's own).
AGENT_CHANNELS: tuple[Channel, ...] = tuple(c for c in Channel if c is not Channel.CONSOLE)

# The same set as a type, for request schemas (an OpenAPI enum of strings); a Literal cannot be
# built from the enum, so the import-time check below keeps the two one definition.
AgentChannelName = Literal["web", "whatsapp", "slack", "sms", "teams", "voice", "email", "api"]
if set(get_args(AgentChannelName)) != {c.value for c in AGENT_CHANNELS}:  # pragma: no cover
    raise RuntimeError("AgentChannelName and AGENT_CHANNELS disagree")

# Inbound connector type (``integrations.kind``) -> the channel its messages arrive on.
CONNECTOR_CHANNELS: dict[str, Channel] = {
    "slack": Channel.SLACK,
    "whatsapp": Channel.WHATSAPP,
    "twilio": Channel.SMS,
    "teams": Channel.TEAMS,
    "web_widget": Channel.WEB,
}

# Values producers reported before the vocabulary was one (connector kinds used as channels).
LEGACY_CHANNELS: dict[str, Channel] = {
    kind: channel for kind, channel in CONNECTOR_CHANNELS.items() if kind != channel.value
}


def channel_of_connector(kind: str) -> Channel:
    """The channel an inbound connector's messages arrive on; ``KeyError`` for a connector
    that is no inbound channel (a CRM, a helpdesk)."""
    return CONNECTOR_CHANNELS[kind]


def normalize_channel(value: str) -> str:
    """A legacy value as its channel; any other value unchanged (the ingest path keeps what
    it cannot name, the event contract is where unknown channels are refused)."""
    legacy = LEGACY_CHANNELS.get(value)
    return legacy.value if legacy is not None else value
