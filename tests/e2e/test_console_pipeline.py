"""The event pipeline page shows what the running app's ingest worker stored and rejected."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.e2e.browser import signed_in_page

pytestmark = pytest.mark.browser


@pytest.mark.timeout(600)
async def test_pipeline_page_shows_dead_letter_reasons(browser: Browser, console_url: str, tmp_path: Path) -> None:
    from tests.factories import create_key, create_tenant
    from va_app.domain.identity.login import login

    tenant = await create_tenant(owner_password="pipeline-owner-pw")
    key = await create_key(tenant, "developer")
    payload = {"agent_id": str(uuid.uuid4()), "conversation_id": f"c-{uuid.uuid4()}"}
    good = {"type": "conversation.logs", "payload": payload}
    bad = {"type": "conversation.logs", "payload": {"agent_id": "a"}}
    async with httpx.AsyncClient(base_url=console_url, timeout=30) as client:
        resp = await client.post(
            "/api/v1/analytics/events", json=[good, bad], headers={"Authorization": f"Bearer {key}"}
        )
        assert resp.status_code == 202 and resp.json()["rejected"] == 1
    session = await login(tenant.provisioned.owner_email, "pipeline-owner-pw")
    page = await signed_in_page(browser, console_url, session.session_token)
    await page.goto(f"{console_url}/pipeline")
    await expect(page.get_by_text("Why events were rejected")).to_be_visible(timeout=60_000)
    # the worker stores the dead letter within a few seconds; the page refreshes itself
    await expect(page.get_by_text("conversation_id: Field required").first).to_be_visible(timeout=30_000)
    await expect(page.get_by_text("conversation.logs").first).to_be_visible()
    await page.screenshot(path=str(tmp_path / "pipeline.png"), full_page=True)
