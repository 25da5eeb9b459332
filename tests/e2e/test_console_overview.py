"""The Overview page of the production build shows the live state of the real backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect


@pytest.mark.browser
@pytest.mark.timeout(600)  # a cold production build compiles the frontend first
async def test_overview_shows_live_backend_status(
    browser: Browser, console_url: str, console_session_cookie: dict[str, str], tmp_path: Path
) -> None:
    page = await browser.new_page(viewport={"width": 1440, "height": 1000})
    await page.context.add_cookies([console_session_cookie])  # the console requires a session
    await page.goto(f"{console_url}/")

    await expect(page.locator(".overall-status")).to_have_text("All systems operational", timeout=60_000)

    postgres = page.locator(".backend-card").filter(has=page.locator(".backend-name", has_text="postgres"))
    await expect(postgres).to_have_count(1)
    await expect(postgres.get_by_text("up", exact=True)).to_be_visible()
    await expect(postgres).to_contain_text("PostgreSQL 18")
    await expect(postgres).to_contain_text("transactional store")

    # The page refreshes itself: "last checked" moves without a reload.
    checked = page.locator(".checked-at")
    first = await checked.inner_text()
    assert first != "—"
    await expect(checked).not_to_have_text(first, timeout=15_000)
    await expect(page.get_by_text("Auto-refresh every 5 s")).to_be_visible()

    await page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
