"""Agents declare channels from the one vocabulary."""

from __future__ import annotations

from typing import get_args

import pytest

from core.channels import AGENT_CHANNELS
from va_app.api.schemas import chat as chat_schema
from va_app.domain.agents import service
from va_app.domain.errors import InvalidInput


def test_agent_and_api_channels_are_the_vocabulary() -> None:
    assert tuple(c.value for c in AGENT_CHANNELS) == service.CHANNELS
    assert set(get_args(chat_schema.Channel)) == set(service.CHANNELS)


def test_a_connector_name_is_taken_as_its_channel() -> None:
    assert service._clean_channels(["twilio", "sms", "web_widget", "email"]) == ["sms", "web", "email"]
    with pytest.raises(InvalidInput, match="unknown channel 'console'"):
        service._clean_channels(["console"])
