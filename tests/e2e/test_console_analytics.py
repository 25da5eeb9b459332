"""Dashboards, explorer and alerts pages against the running app with real events.

Events go in through the app's own API (the app owns its chDB directory); the pages must
draw plotly charts from them, react to a filter, drill down into a transcript, and list
the tenant's alert rules.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.e2e.browser import signed_in_page

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/va-analytics-shots")
# Agents reporting by id (an unknown slug would be refused by the intake).
CONCIERGE = "8a6f1c2e-0000-4000-8000-00000000c0c1"
BILLING = "8a6f1c2e-0000-4000-8000-00000000b111"


def _events(n: int) -> list[dict]:
    out = []
    for i in range(n):
        out.append(
            {
                "type": "conversation.logs",
                "payload": {
                    "agent_id": CONCIERGE if i % 4 else BILLING,
                    "version": 1 + i % 2,
                    "conversation_id": f"conv-{i // 2}-{uuid.uuid4().hex[:6]}",
                    "channel": "web" if i % 3 else "whatsapp",
                    "model": "local-small",
                    "provider": "local",
                    "intent": ["hours", "refund", "address"][i % 3],
                    "outcome": "handoff" if i % 7 == 0 else "answered",
                    "latency_ms": 100 + 10 * i,
                    "prompt_tokens": 50,
                    "completion_tokens": 20,
                    "cost_usd": 0.001,
                    "user_message": f"What are your opening hours? #{i}",
                    "reply": f"We are open from 9 to 5 (turn {i}).",
                },
            }
        )
    return out


@pytest.mark.timeout(900)
async def test_dashboards_filter_drilldown_and_alerts(browser: Browser, console_url: str) -> None:
    from tests.factories import create_key, create_tenant
    from va_app.domain.identity.login import login

    SHOTS.mkdir(parents=True, exist_ok=True)
    tenant = await create_tenant(owner_password="analytics-owner-pw")
    key = await create_key(tenant, "developer")
    async with httpx.AsyncClient(base_url=console_url, timeout=30) as client:
        resp = await client.post(
            "/api/v1/analytics/events", json=_events(48), headers={"Authorization": f"Bearer {key}"}
        )
        assert resp.status_code == 202, resp.text
    session = await login(tenant.provisioned.owner_email, "analytics-owner-pw")
    page = await signed_in_page(browser, console_url, session.session_token, height=1100)
    await page.goto(f"{console_url}/analytics")
    # the ingest worker stores the events within seconds; the page refreshes itself
    volume = page.locator(".kpi-value").first
    await expect(volume).to_have_text("48", timeout=60_000)
    await expect(page.locator(".chart-volume .js-plotly-plot")).to_be_visible()
    await expect(page.locator(".chart-agents .js-plotly-plot g.point").first).to_be_visible()
    await page.screenshot(path=str(SHOTS / "analytics.png"), full_page=True)

    await page.locator(".rt-SelectTrigger").nth(4).click()
    await page.get_by_role("option", name="whatsapp").click()
    await expect(volume).to_have_text("16", timeout=30_000)
    await page.screenshot(path=str(SHOTS / "analytics-filtered.png"), full_page=True)

    await page.locator(".chart-agents g.point path").first.click(force=True)
    await page.wait_for_url("**/conversations**", timeout=30_000)
    link = page.locator(".conversation-link").first
    await expect(link).to_be_visible(timeout=30_000)
    # The page's on_load search can finish after the click and re-render the list, so
    # try a few times until the transcript shows the reply.
    reply = page.locator(".transcript-turn .turn-reply").first
    for attempt in range(3):
        await link.click()
        try:
            await expect(reply).to_contain_text("We are open from 9 to 5", timeout=20_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
    await expect(page.locator(".transcript-turn").first).to_be_visible()
    await page.screenshot(path=str(SHOTS / "transcript.png"), full_page=True)
    # a link to one conversation (as alert notifications send) opens its transcript
    other = (await page.locator(".conversation-link").nth(1).inner_text()).strip()
    await page.goto(f"{console_url}/conversations?conversation={other}")
    await expect(page.locator("code", has_text=other)).to_be_visible(timeout=30_000)
    await expect(page.locator(".transcript-turn .turn-reply").first).to_contain_text("We are open from 9 to 5")

    await page.goto(f"{console_url}/alerts")
    await expect(page.get_by_text("Add threshold rule")).to_be_visible(timeout=60_000)
    await page.get_by_role("button", name="Add threshold rule").click()
    await expect(page.get_by_text("error_rate > 0.05").first).to_be_visible(timeout=30_000)
    await page.screenshot(path=str(SHOTS / "alerts.png"), full_page=True)


@pytest.mark.timeout(600)
async def test_superadmin_picks_another_tenant(browser: Browser, console_url: str) -> None:
    from core import db
    from models.repositories import tenants as tenants_repo
    from tests.factories import create_key, create_tenant
    from va_app.domain.identity.login import login

    watched = await create_tenant()
    key = await create_key(watched, "developer")
    async with httpx.AsyncClient(base_url=console_url, timeout=30) as client:
        resp = await client.post(
            "/api/v1/analytics/events", json=_events(12), headers={"Authorization": f"Bearer {key}"}
        )
        assert resp.status_code == 202, resp.text
    admin = await create_tenant(owner_password="platform-admin-pw")
    async with db.session_scope() as session:
        user = await tenants_repo.get_user_by_email(session=session, email=admin.provisioned.owner_email)
        assert user is not None
        user.is_superadmin = True
    session = await login(admin.provisioned.owner_email, "platform-admin-pw")
    page = await signed_in_page(browser, console_url, session.session_token)
    await page.goto(f"{console_url}/analytics")
    volume = page.locator(".kpi-value").first
    await expect(volume).to_have_text("0", timeout=60_000)  # the admin's own tenant has no traffic
    async with db.session_scope() as s:
        row = await tenants_repo.get_tenant(session=s, tenant_id=watched.tenant_id)
        assert row is not None
        slug = row.slug
    await page.locator(".rt-SelectTrigger").last.click()
    await page.get_by_role("option", name=slug, exact=True).click()
    await expect(volume).to_have_text("12", timeout=60_000)
