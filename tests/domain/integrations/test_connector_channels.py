"""Messages arriving through a connector are reported on the channel the user used
(``twilio`` -> ``sms``), so dashboards and the agent's declared channels agree."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from core.channels import CONNECTOR_CHANNELS, Channel
from va_app.domain.conversations.turn import ChatInput
from va_app.domain.integrations import worker
from va_app.domain.integrations.catalog import all_types
from va_app.domain.integrations.registry import Connection, InboundMessage


def test_every_inbound_connector_has_a_channel() -> None:
    inbound = {t.kind for t in all_types() if "inbound_channel" in t.capabilities}
    assert inbound and inbound == set(CONNECTOR_CHANNELS)


@pytest.mark.parametrize(("kind", "channel"), [("twilio", Channel.SMS), ("slack", Channel.SLACK)])
async def test_the_worker_reports_the_channel_not_the_connector(
    monkeypatch: pytest.MonkeyPatch, kind: str, channel: Channel
) -> None:
    seen: list[ChatInput] = []

    class Out:
        reply = "Check-out is at 11."

    async def chat(_principal: Any, _agent: str, inp: ChatInput) -> Out:
        seen.append(inp)
        return Out()

    monkeypatch.setattr(worker, "chat", chat)
    monkeypatch.setattr(worker, "connector", lambda _kind: None)  # no reply sent in this test
    conn = Connection(uuid.uuid4(), uuid.uuid4(), kind, "front desk", {"agent": "hotel"}, {})
    await worker.answer(conn, InboundMessage("e1", "+15550100", "+15550100", "When is check-out?", {}))
    assert seen[0].channel == channel
    assert (seen[0].conversation_id or "").startswith(f"{kind}-")  # conversation ids keep their connector prefix
