"""The "Try it" tab of an agent, end to end in Chromium against the real chat runtime.

A fresh tenant gets the hotel agent grounded in an FAQ (through the API, as a customer would
set it up). Its owner opens the agent page, asks about check-out in production and reads the
offline ``local`` model's answer with its badges and sources, follows up in the same
conversation (the runtime's context in Redis holds the turns), asks something the FAQ does not
answer and sees it marked ``unanswered`` with no sources, asks for a person and sees the
handoff, starts a new conversation, then tries staging, where the same question is served from
the answer cache. The screenshot goes to ``$E2E_SCREENSHOTS`` (or the test's temp dir).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.chat_setup import hotel_agent
from tests.e2e.browser import signed_in_page
from tests.factories import create_tenant
from va_app.console import routes

PASSWORD = "try-it-owner-password"
TIMEOUT_MS = 30_000

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


async def _ask(page: Page, message: str, *, press_enter: bool) -> None:
    """Type a message and send it with Enter or the Send button, as an operator would."""
    field = page.locator("#chat-message")
    await field.fill(message)
    if press_enter:
        await field.press("Enter")
    else:
        await page.get_by_role("button", name="Send").click()


async def test_try_it_tab_chats_with_the_deployed_agent(browser: Browser, console_url: str, tmp_path: Path) -> None:
    from va_app.domain.conversations import context
    from va_app.domain.identity.login import login

    tenant = await create_tenant("Try It Co", owner_password=PASSWORD)
    async with httpx.AsyncClient(base_url=console_url, timeout=60) as api:
        hotel = await hotel_agent(api, tenant)  # v2 (with the FAQ) serves all three environments
    session = await login(tenant.provisioned.owner_email, PASSWORD)
    assert session.session_token, "a fresh owner has no second factor"
    shots = Path(os.environ.get("E2E_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)

    page = await signed_in_page(browser, console_url, session.session_token)
    await page.goto(f"{console_url}{routes.agent_path(hotel.slug)}")
    await page.get_by_role("tab", name="Try it").click()

    await expect(page.locator("#chat-env")).to_contain_text("production · v2", timeout=60_000)
    await expect(page.locator(".chat-empty")).to_be_visible()
    conversation = page.locator(".chat-conversation")
    await expect(conversation).to_have_text(re.compile(r"^conv_\w+$"))
    first_id = await conversation.inner_text()

    # First turn, sent with Enter: the FAQ's answer, made by v2 of the local model
    await _ask(page, "What time is check-out?", press_enter=True)
    turns = page.locator(".chat-turn")
    await expect(turns).to_have_count(1, timeout=TIMEOUT_MS)
    first = turns.nth(0)
    await expect(first.locator(".chat-message")).to_have_text("What time is check-out?")
    await expect(first.locator(".chat-reply")).to_contain_text("11:00", timeout=TIMEOUT_MS)
    await expect(first.locator(".chat-version")).to_have_text(re.compile(r"^v\d+$"))
    await expect(first.locator(".chat-version")).to_have_text("v2")
    await expect(first.locator(".chat-outcome")).to_have_text("answered")
    await expect(first.locator(".chat-model")).to_have_text("local")
    await expect(first.locator(".chat-cache")).to_have_text("none")
    await expect(first.locator(".chat-latency")).to_have_text(re.compile(r"^\d+ ms$"))
    await expect(first.locator(".chat-cost")).to_have_text(re.compile(r"^\$[\d.]+$"))
    await expect(first.locator(".chat-source").first).to_contain_text("faq.csv")
    await expect(page.get_by_role("button", name="Send")).to_be_enabled()
    await expect(page.locator("#chat-message")).to_have_value("")

    # Follow-ups with the Send button continue the same conversation; asking for a person hands off
    await _ask(page, "Is breakfast included?", press_enter=False)
    await expect(turns).to_have_count(2, timeout=TIMEOUT_MS)
    await expect(turns.nth(1).locator(".chat-reply")).to_contain_text("6:30", timeout=TIMEOUT_MS)
    # retrieval finds a chunk, but it does not answer: an honest "unanswered", without sources
    await _ask(page, "Can I rent a bicycle at the front desk?", press_enter=True)
    await expect(turns).to_have_count(3, timeout=TIMEOUT_MS)
    unanswered = turns.nth(2)
    await expect(unanswered.locator(".chat-outcome")).to_have_text("unanswered", timeout=TIMEOUT_MS)
    await expect(unanswered.locator(".chat-reply")).to_contain_text("don't have information")
    await expect(unanswered.locator(".chat-source")).to_have_count(0)
    await _ask(page, "I want to talk to a person please", press_enter=True)
    await expect(turns).to_have_count(4, timeout=TIMEOUT_MS)
    fourth = turns.nth(3)
    await expect(fourth.locator(".chat-outcome")).to_have_text("handoff", timeout=TIMEOUT_MS)
    await expect(fourth.locator(".chat-handoff")).to_contain_text("Handed over to a person")
    await expect(conversation).to_have_text(first_id)
    await page.screenshot(path=str(shots / "agent-try-it.png"), full_page=True)

    state = await context.load(tenant.tenant_id, hotel.agent_id, "production", first_id)
    assert state.turn_count == 4, "the runtime kept one conversation for all four turns"

    # New conversation: empty transcript, another id
    await page.get_by_role("button", name="New conversation").click()
    await expect(turns).to_have_count(0, timeout=TIMEOUT_MS)
    await expect(page.locator(".chat-empty")).to_be_visible()
    await expect(conversation).not_to_have_text(first_id)

    # Staging serves v2 too; the same question is now an answer-cache hit
    await page.locator("#chat-env").click()
    await page.get_by_role("option", name="staging · v2").click()
    await expect(page.locator("#chat-env")).to_contain_text("staging")
    await _ask(page, "What time is check-out?", press_enter=True)
    await expect(turns).to_have_count(1, timeout=TIMEOUT_MS)
    await expect(turns.nth(0).locator(".chat-reply")).to_contain_text("11:00", timeout=TIMEOUT_MS)
    await expect(turns.nth(0).locator(".chat-cache")).to_have_text(re.compile("^(exact|semantic)$"))
