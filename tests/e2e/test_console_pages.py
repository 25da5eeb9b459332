"""Every console page opens for an owner with real data behind it, and none of them fails.

The other browser tests walk one workflow each; this one visits every page in the sidebar and
the per-agent and per-knowledge-base pages of a tenant that has an agent in production, a
knowledge base, a conversation and an API key. A page passes when its heading shows, no red
error callout is on it, and (the autouse guard in ``conftest.py``) the app logged no traceback
while it loaded — Reflex swallows a failing ``on_load`` handler, so the log is where it shows.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.chat_setup import API, hotel_agent
from tests.e2e.browser import signed_in_page
from tests.factories import create_tenant
from va_app.console import routes

PASSWORD = "every-page-owner-pw"
ERROR_CALLOUTS = '.rt-CalloutRoot[data-accent-color="tomato"], .rt-CalloutRoot[data-accent-color="red"]'
SETTLE_MS = 1_500  # on_load handlers run after the heading renders; give them time to fail


@pytest.mark.browser
@pytest.mark.timeout(600)
async def test_every_console_page_opens_without_errors(browser: Browser, console_url: str) -> None:
    from va_app.domain.identity.login import login

    tenant = await create_tenant(owner_password=PASSWORD)
    async with httpx.AsyncClient(base_url=console_url, timeout=60) as api:
        hotel = await hotel_agent(api, tenant)
        chat = await api.post(
            f"{API}/agents/{hotel.slug}/chat", json={"message": "When is check-out?"}, headers=hotel.headers
        )
        assert chat.status_code == 200, chat.text

    pages = [(item.route, item.label) for item in routes.NAV]
    pages += [
        (routes.agent_path(hotel.slug), None),
        (routes.new_version_path(hotel.slug), "New version"),
        (routes.knowledge_base_path(str(hotel.kb_id)), None),
    ]
    session = await login(tenant.provisioned.owner_email, PASSWORD)
    page = await signed_in_page(browser, console_url, session.session_token)
    for path, heading in pages:
        await page.goto(f"{console_url}{path}")
        if heading:
            await expect(page.get_by_role("heading", name=heading, level=1).first).to_be_visible(timeout=60_000)
        else:
            await expect(page.get_by_role("heading", level=1).first).to_be_visible(timeout=60_000)
        assert page.url.rstrip("/").endswith(path.rstrip("/")), f"{path} redirected to {page.url}"
        await page.wait_for_timeout(SETTLE_MS)
        errors = page.locator('.rt-CalloutRoot[data-accent-color="tomato"], .rt-CalloutRoot[data-accent-color="red"]')
        shown = [t for t in await errors.all_inner_texts() if t.strip()]
        assert not shown, f"{path} shows an error: {shown}"
