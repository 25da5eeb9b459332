"""Identity in the console, end to end in Chromium against the production build.

A fresh tenant with a known owner password is provisioned through the domain service (the
test process shares PostgreSQL and Redis with the app under test), then the browser signs in,
enrols TOTP, signs in again with a code, creates an API key and invites a member. Screenshots
of every page go to ``$E2E_SCREENSHOTS`` (or the test's temp dir) for a look by a human.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pyotp
import pytest
from playwright.async_api import Browser, Page, expect

from tests.factories import TenantFixture, create_tenant

PASSWORD = "correct-horse-battery-staple"
TIMEOUT_MS = 30_000

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    target = Path(os.environ.get("E2E_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        yield await context.new_page()
    finally:
        await context.close()


@pytest.fixture
async def tenant() -> TenantFixture:
    return await create_tenant("Console Test Co", owner_password=PASSWORD)


async def _sign_in(page: Page, base: str, email: str, password: str) -> None:
    await page.goto(f"{base}/login")
    await page.locator("input[name=email]").fill(email)
    await page.locator("input[name=password]").fill(password)
    await page.get_by_role("button", name="Sign in").click()


async def test_signed_out_browser_is_sent_to_login(console_url: str, page: Page) -> None:
    await page.goto(f"{console_url}/users")
    await expect(page).to_have_url(re.compile(r"/login/?\?next=/users$"), timeout=TIMEOUT_MS)
    await expect(page.locator(".login-notice")).to_contain_text("Please sign in.")
    await expect(page.get_by_role("button", name="Sign in")).to_be_visible()


async def test_wrong_password_shows_a_readable_error(console_url: str, page: Page, tenant: TenantFixture) -> None:
    await _sign_in(page, console_url, tenant.provisioned.owner_email, "not-the-password")
    error = page.locator(".login-error")
    await expect(error).to_have_text("Wrong email or password.", timeout=TIMEOUT_MS)
    await expect(page).to_have_url(re.compile(r"/login/?$"))

    # The fifth failure locks the account; the next attempt says how long to wait.
    for _ in range(5):
        await page.get_by_role("button", name="Sign in").click()
    await expect(error).to_have_text(
        re.compile(r"^Too many failed attempts\. Try again in \d+ s\.$"), timeout=TIMEOUT_MS
    )


async def test_totp_keys_and_invitations(console_url: str, page: Page, tenant: TenantFixture, shots: Path) -> None:
    email = tenant.provisioned.owner_email
    await page.goto(f"{console_url}/login")
    await expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=TIMEOUT_MS)
    await page.screenshot(path=str(shots / "login.png"), full_page=True)

    # Password only: straight to the Overview, the header says who is signed in.
    await _sign_in(page, console_url, email, PASSWORD)
    await expect(page.locator(".overall-status")).to_be_visible(timeout=TIMEOUT_MS)
    await expect(page.locator(".user-email")).to_have_text(email)
    await expect(page.locator(".user-role")).to_have_text("owner")

    # Enrol TOTP: secret shown as text next to the QR code, confirmed with a code.
    await page.get_by_role("link", name="Account").click()
    await page.get_by_role("button", name="Set up two-factor").click()
    secret_text = page.locator(".totp-secret")
    await expect(secret_text).to_have_text(re.compile(r"^[A-Z2-7]{16,}$"), timeout=TIMEOUT_MS)
    await expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    await page.screenshot(path=str(shots / "account-enrol.png"), full_page=True)
    secret = await secret_text.inner_text()
    await page.locator("input[name=code]").fill(pyotp.TOTP(secret).now())
    await page.get_by_role("button", name="Turn on").click()
    await expect(page.locator(".recovery-code")).to_have_count(10, timeout=TIMEOUT_MS)
    await expect(page.locator(".totp-on")).to_be_visible()
    await page.screenshot(path=str(shots / "account-recovery-codes.png"), full_page=True)
    await page.get_by_role("button", name="I have saved them").click()
    await expect(page.locator(".recovery-code")).to_have_count(0)

    # Sign out, sign in again: now the code step is required.
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.locator(".login-notice")).to_have_text("You have signed out.", timeout=TIMEOUT_MS)
    await _sign_in(page, console_url, email, PASSWORD)
    code_input = page.locator("input[name=code]")
    await expect(code_input).to_be_visible(timeout=TIMEOUT_MS)
    await page.screenshot(path=str(shots / "login-totp.png"), full_page=True)
    # The next step's code: the current one may already have been used for the enrolment.
    await code_input.fill(pyotp.TOTP(secret).at(time.time() + 30))
    await page.get_by_role("button", name="Verify").click()
    await expect(page.locator(".overall-status")).to_be_visible(timeout=TIMEOUT_MS)
    await expect(page).to_have_url(f"{console_url}/")
    await page.screenshot(path=str(shots / "overview-signed-in.png"), full_page=True)

    # An API key: its full text is shown once and looks like `va_<prefix>_<secret>`.
    await page.get_by_role("link", name="API keys").click()
    await page.get_by_role("button", name="Create key").click()
    dialog = page.get_by_role("dialog")
    await dialog.locator("input[name=name]").fill("e2e widget")
    await page.screenshot(path=str(shots / "api-keys-create.png"), full_page=True)
    await dialog.get_by_role("button", name="Create key").click()
    new_key = page.locator(".new-api-key")
    await expect(new_key).to_have_text(re.compile(r"^va_\w+_\S+$"), timeout=TIMEOUT_MS)
    assert (await new_key.inner_text()).startswith("va_")
    await expect(page.get_by_text("it is not shown again")).to_be_visible()
    await page.screenshot(path=str(shots / "api-keys-secret.png"), full_page=True)
    await page.get_by_role("button", name="Done").click()
    await expect(page.get_by_role("dialog")).to_have_count(0)
    await expect(page.locator(".key-row").filter(has_text="e2e widget")).to_have_count(1)
    await page.screenshot(path=str(shots / "api-keys.png"), full_page=True)

    # Invite a member: a new user's temporary password is shown once.
    await page.get_by_role("link", name="Users & roles").click()
    await page.get_by_role("button", name="Invite member").click()
    dialog = page.get_by_role("dialog")
    invitee = f"analyst-{tenant.provisioned.slug}@example.com"
    await dialog.locator("input[name=email]").fill(invitee)
    await dialog.locator("input[name=full_name]").fill("Ana Lyst")
    await dialog.get_by_role("button", name="Invite").click()
    await expect(page.locator(".temporary-password")).not_to_be_empty(timeout=TIMEOUT_MS)
    temporary_password = await page.locator(".temporary-password").inner_text()
    await page.screenshot(path=str(shots / "users-invite.png"), full_page=True)
    await page.get_by_role("button", name="Done").click()
    await expect(page.get_by_role("dialog")).to_have_count(0)
    invited_row = page.locator(".member-row").filter(has_text=invitee)
    await expect(invited_row).to_have_count(1)

    # Roles change in place; the service refuses to leave the tenant without an owner.
    await invited_row.locator(".role-select").click()
    await page.get_by_role("option", name="analyst").click()
    await expect(page.get_by_text(f"{invitee} is now analyst.")).to_be_visible(timeout=TIMEOUT_MS)
    await page.locator(".member-row").filter(has_text=email).locator(".role-select").click()
    await page.get_by_role("option", name="admin").click()
    await expect(page.get_by_text("A tenant must keep at least one owner.")).to_be_visible(timeout=TIMEOUT_MS)
    await expect(page.locator(".member-row").filter(has_text=email).locator(".role-select")).to_have_text("owner")
    await page.screenshot(path=str(shots / "users.png"), full_page=True)

    # Everything above is in the audit log.
    await page.get_by_role("link", name="Audit log").click()
    actions = page.locator(".audit-action")
    await expect(actions.filter(has_text="member.invite")).to_have_count(1, timeout=TIMEOUT_MS)
    # two keys: the owner's first key (made when the tenant was provisioned) and ours
    await expect(actions.filter(has_text="api_key.create")).to_have_count(2)
    await expect(actions.filter(has_text="user.totp_enable")).to_have_count(1)
    invite_row = page.locator(".audit-row").filter(has_text="member.invite")
    await expect(invite_row).to_contain_text("127.0.0.1")  # console actions carry the client address
    await invite_row.get_by_role("button").click()
    await expect(page.get_by_text('"role": "viewer"')).to_be_visible()
    await page.screenshot(path=str(shots / "audit.png"), full_page=True)

    # The invitee (an analyst by now) sees only what the role allows, and the server agrees.
    context = await page.context.browser.new_context(viewport={"width": 1440, "height": 1000})  # type: ignore[union-attr]
    try:
        analyst = await context.new_page()
        await _sign_in(analyst, console_url, invitee, temporary_password)
        await expect(analyst.locator(".user-role")).to_have_text("analyst", timeout=TIMEOUT_MS)
        nav = analyst.get_by_role("link")
        await expect(nav.filter(has_text="Audit log")).to_have_count(1)
        await expect(nav.filter(has_text="Users & roles")).to_have_count(0)
        await expect(nav.filter(has_text="API keys")).to_have_count(0)
        await analyst.goto(f"{console_url}/api-keys")
        await expect(analyst.get_by_text("Role 'analyst' lacks permission 'keys:read'.")).to_be_visible(
            timeout=TIMEOUT_MS
        )
        await expect(analyst.get_by_role("button", name="Create key")).to_have_count(0)
        await analyst.screenshot(path=str(shots / "api-keys-analyst.png"), full_page=True)
    finally:
        await context.close()
