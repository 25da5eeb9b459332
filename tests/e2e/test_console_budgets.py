"""Budgets are managed on the LLM & budgets page: an owner adds one through the form, sees the
service refuse a duplicate in plain words, deletes it after a confirmation; a viewer only reads.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.api_client import bearer
from tests.chat_setup import API
from tests.e2e.browser import signed_in_page
from tests.factories import TenantFixture, create_tenant

pytestmark = pytest.mark.browser
PASSWORD = "budgets-owner-pw"
TIMEOUT_MS = 30_000


async def _agent(api: httpx.AsyncClient, tenant: TenantFixture, slug: str) -> str:
    created = await api.post(
        f"{API}/agents/from-template",
        json={"template_id": "hotel-concierge", "slug": slug, "variables": {"property_name": slug.title()}},
        headers=bearer(tenant.owner_key),
    )
    assert created.status_code == 201, created.text
    return str(created.json()["agent"]["id"])


async def _audit_actions(api: httpx.AsyncClient, tenant: TenantFixture) -> list[str]:
    resp = await api.get(f"{API}/audit-logs", params={"action": "budget."}, headers=bearer(tenant.owner_key))
    assert resp.status_code == 200, resp.text
    return [entry["action"] for entry in resp.json()["data"]]


async def _pick(page: Page, trigger: str, option: str) -> None:
    await page.locator(trigger).click()
    await page.get_by_role("option", name=option, exact=True).click()


async def _open(page: Page, url: str) -> None:
    await page.goto(f"{url}/llm")
    await expect(page.get_by_text("Model catalog")).to_be_visible(timeout=60_000)


@pytest.mark.timeout(600)
async def test_owner_adds_and_deletes_a_budget_viewer_only_reads(
    browser: Browser, console_url: str, tmp_path: Path
) -> None:
    from va_app.domain.identity.login import login
    from va_app.domain.identity.users import invite_member

    tenant = await create_tenant(owner_password=PASSWORD)
    slug = f"hotel-{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(base_url=console_url, timeout=60) as api:
        agent_id = await _agent(api, tenant, slug)
        await _agent(api, tenant, f"other-{uuid.uuid4().hex[:6]}")  # the select must pick the right one
    owner = await login(tenant.provisioned.owner_email, PASSWORD)
    invited = await invite_member(tenant.owner(), email=f"viewer-{slug}@example.com", role="viewer")
    assert invited.temporary_password
    viewer = await login(invited.member.email, invited.temporary_password)
    page = await signed_in_page(browser, console_url, owner.session_token)
    await _open(page, console_url)
    await expect(page.get_by_text("No budgets: calls are not limited. Add one below.")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    form = page.locator(".budget-form")
    await expect(form).to_be_visible()
    add = form.get_by_role("button", name="Add budget")

    # A readable refusal from the form itself: no limit typed.
    await _pick(page, ".budget-scope", "One agent")
    await _pick(page, ".budget-target", slug)
    await add.click()
    await expect(form.locator(".budget-error")).to_have_text(
        "Enter the limit in USD, e.g. 5 or 12.50.", timeout=TIMEOUT_MS
    )

    # A daily hard budget of $5 for the agent.
    await expect(form.get_by_role("switch")).to_be_checked()
    await expect(form).to_contain_text("refused with 429 before any provider is called")
    await form.locator("#budget-limit").fill("5")
    await add.click()
    row = page.locator(".budget-row").filter(has_text=slug)
    await expect(row).to_have_count(1, timeout=TIMEOUT_MS)
    for text in ("agent", "daily", "hard", "$5.00", "$0.00"):
        await expect(row).to_contain_text(text)
    await expect(form.locator(".budget-error")).to_have_count(0)
    await expect(form.locator("#budget-limit")).to_have_value("")
    await page.screenshot(path=str(tmp_path / "budget-added.png"), full_page=True)

    # The same again: the service's conflict, in plain words, in the form.
    await form.locator("#budget-limit").fill("7")
    await add.click()
    await expect(form.locator(".budget-error")).to_have_text(
        "A daily budget for this agent already exists; delete it first.", timeout=TIMEOUT_MS
    )
    await expect(page.locator(".budget-row")).to_have_count(1)

    async with httpx.AsyncClient(base_url=console_url, timeout=30) as api:
        listed = (await api.get(f"{API}/budgets", headers=bearer(tenant.owner_key))).json()["data"]
        assert [(b["scope"], b["scope_id"], b["period"], b["limit_usd"], b["hard"]) for b in listed] == [
            ("agent", agent_id, "daily", 5.0, True)
        ]
        assert await _audit_actions(api, tenant) == ["budget.create"]

    # Delete, after a confirmation.
    await row.get_by_role("button", name="Delete budget").click()
    dialog = page.get_by_role("alertdialog")
    await expect(dialog).to_contain_text(f"daily budget for {slug}")
    await dialog.get_by_role("button", name="Delete").click()
    await expect(page.locator(".budget-row")).to_have_count(0, timeout=TIMEOUT_MS)
    await expect(page.get_by_text("No budgets: calls are not limited. Add one below.")).to_be_visible()
    async with httpx.AsyncClient(base_url=console_url, timeout=30) as api:
        assert (await api.get(f"{API}/budgets", headers=bearer(tenant.owner_key))).json()["data"] == []
        assert await _audit_actions(api, tenant) == ["budget.delete", "budget.create"]
        created = await api.post(
            f"{API}/budgets",
            json={"scope": "tenant", "period": "monthly", "limit_usd": 40, "hard": False},
            headers=bearer(tenant.owner_key),
        )
        assert created.status_code == 201, created.text

    # A viewer reads budgets but gets neither the form nor a delete button.
    viewer_page = await signed_in_page(browser, console_url, viewer.session_token)
    await _open(viewer_page, console_url)
    viewer_row = viewer_page.locator(".budget-row").filter(has_text="whole tenant")
    await expect(viewer_row).to_contain_text("$40.00", timeout=TIMEOUT_MS)
    await expect(viewer_row).to_contain_text("soft")
    await expect(viewer_page.locator(".budget-form")).to_have_count(0)
    await expect(viewer_page.get_by_role("button", name="Delete budget")).to_have_count(0)
    await viewer_page.screenshot(path=str(tmp_path / "budgets-viewer.png"), full_page=True)
