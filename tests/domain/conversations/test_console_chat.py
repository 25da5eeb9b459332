"""Console test turns go through the real runtime under a per-user limit and are marked as
operator traffic (channel ``console``)."""

from __future__ import annotations

import httpx
import pytest

from tests.chat_setup import bus_events, hotel_agent
from va_app.domain.conversations import console
from va_app.domain.conversations.turn import ChatInput
from va_app.domain.errors import RateLimited

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]


async def test_console_turns_are_limited_per_user_and_marked(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    hotel = await hotel_agent(api)
    owner = hotel.tenant.owner()
    monkeypatch.setattr(console, "PER_USER_PER_MINUTE", 3)
    first = await console.console_chat(owner, hotel.slug, ChatInput("What time is check-out?", channel=console.CHANNEL))
    assert "11:00" in first.reply
    for _ in range(2):
        await console.console_chat(owner, hotel.slug, ChatInput("Is breakfast included?", channel=console.CHANNEL))
    with pytest.raises(RateLimited) as refused:
        await console.console_chat(owner, hotel.slug, ChatInput("Do you have parking?", channel=console.CHANNEL))
    assert refused.value.retry_after_s > 0 and "a minute" in refused.value.message
    turns = [e["payload"] for e in await bus_events("conversation.logs", hotel.tenant.tenant_id)]
    assert len(turns) == 3 and {t["channel"] for t in turns} == {"console"}
