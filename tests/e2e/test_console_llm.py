"""The LLM & budgets page shows a budget created through the API and the tenant's model catalog."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.e2e.browser import signed_in_page

pytestmark = pytest.mark.browser


@pytest.mark.timeout(600)
async def test_llm_page_shows_budget_and_catalog(browser: Browser, console_url: str, tmp_path: Path) -> None:
    from tests.factories import create_key, create_tenant
    from va_app.domain.identity.login import login

    tenant = await create_tenant(owner_password="llm-owner-pw")
    key = await create_key(tenant, "owner")
    async with httpx.AsyncClient(base_url=console_url, timeout=30) as client:
        resp = await client.post(
            "/api/v1/budgets",
            json={"scope": "tenant", "period": "daily", "limit_usd": 123.45, "hard": True},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert resp.status_code == 201, resp.text
    session = await login(tenant.provisioned.owner_email, "llm-owner-pw")
    page = await signed_in_page(browser, console_url, session.session_token)
    await page.goto(f"{console_url}/llm")
    await expect(page.get_by_text("Model catalog")).to_be_visible(timeout=60_000)
    budget_row = page.get_by_role("row").filter(has_text="$123.45")
    await expect(budget_row).to_be_visible(timeout=30_000)
    await expect(budget_row).to_contain_text("daily")
    await expect(budget_row).to_contain_text("hard")
    await expect(budget_row).to_contain_text("$0.00")
    catalog_row = page.get_by_role("row").filter(has_text="local").filter(has_text="builtin")
    await expect(catalog_row).to_contain_text("$0.00")
    await expect(page.get_by_role("link", name="LLM & budgets")).to_be_visible()
    await page.screenshot(path=str(tmp_path / "llm.png"), full_page=True)
