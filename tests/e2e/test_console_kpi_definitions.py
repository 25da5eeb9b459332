"""Every tile and chart of /analytics says what it counts: hovering shows its definition.

Events go in through the app's own API; the tiles must show them, the conversation tiles must
not exceed the turns, and each tooltip must carry the registry's definition
(``va_app/domain/dashboards/kpis.py``), the text the README's KPI table shows too.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.e2e.browser import signed_in_page
from va_app.domain.dashboards import kpis

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/va-analytics-shots")


def _events(n: int, agent_id: str) -> list[dict]:
    conversation = [f"kpi-conv-{i}-{uuid.uuid4().hex[:6]}" for i in range(n // 3)]
    return [
        {
            "type": "conversation.logs",
            "payload": {
                "agent_id": agent_id,
                "version": 1,
                "conversation_id": conversation[i % len(conversation)],
                "channel": "web",
                "model": "local-small",
                "provider": "local",
                "intent": "hours",
                "outcome": "handoff" if i % 5 == 0 else "answered",
                "latency_ms": 100 + i,
                "cost_usd": 0.001,
            },
        }
        for i in range(n)
    ]


def _number(text: str) -> int:
    return int(text.replace(",", "").strip())


@pytest.mark.timeout(900)
async def test_tiles_and_charts_show_their_definitions(browser: Browser, console_url: str) -> None:
    from tests.factories import create_agent, create_key, create_tenant
    from va_app.domain.identity.login import login

    tenant = await create_tenant(owner_password="kpi-owner-pw")
    key = await create_key(tenant, "developer")
    agent_id = await create_agent(tenant, slug="kpi-agent")
    async with httpx.AsyncClient(base_url=console_url, timeout=30) as client:
        resp = await client.post(
            "/api/v1/analytics/events", json=_events(30, agent_id), headers={"Authorization": f"Bearer {key}"}
        )
        assert resp.status_code == 202, resp.text
    session = await login(tenant.provisioned.owner_email, "kpi-owner-pw")
    page = await signed_in_page(browser, console_url, session.session_token, height=1100)
    await page.goto(f"{console_url}/analytics")
    values = page.locator(".kpi-value")
    await expect(values.first).to_have_text("30", timeout=60_000)
    labels = [k.label for k in kpis.TILES]
    turns = _number(await values.nth(labels.index("Turns")).inner_text())
    conversations = _number(await values.nth(labels.index("Conversations")).inner_text())
    active = _number(await values.nth(labels.index("Active conversations")).inner_text())
    assert active <= conversations <= turns, (active, conversations, turns)
    assert conversations == 10
    await expect(page.locator(".kpi-window")).to_contain_text("Tiles cover")

    for label in ("Turns", "Conversations", "Active conversations", "Automation rate", "Cost per resolved"):
        card = page.locator(".kpi-card").nth(labels.index(label))
        await _hover_shows(page, card, kpis.BY_KEY[_key(label)].definition)
        if label == "Active conversations":
            SHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SHOTS / "kpi-tooltip.png"))
    for name in ("volume", "unresolved", "funnel"):
        await _hover_shows(page, page.locator(f".chart-{name} .chart-info"), kpis.CHART_BY_NAME[name].definition)


async def _hover_shows(page: Page, target: Locator, definition: str) -> None:
    """Hover ``target`` until its tooltip carries ``definition`` (the page re-renders its tiles
    every 5 s, which can close a tooltip just opened; a few tries ride over that)."""
    shown = page.get_by_role("tooltip").filter(has_text=definition[:60])
    for attempt in range(4):
        await page.mouse.move(0, 0)
        await target.hover()
        try:
            await expect(shown.first).to_be_attached(timeout=5_000)
            return
        except AssertionError:
            if attempt == 3:
                raise


def _key(label: str) -> str:
    return next(k.key for k in kpis.TILES if k.label == label)
