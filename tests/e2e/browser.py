"""What every browser test needs: the OS chromium's flags and a page signed in to the console."""

from __future__ import annotations

from playwright.async_api import Browser, Page

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


async def signed_in_page(browser: Browser, console_url: str, session_token: str | None, *, height: int = 1000) -> Page:
    """A new page carrying the console session cookie (made by ``va_app.domain.identity.login``), so a test
    about something else need not walk through the login form."""
    from va_app.console.states.auth import SESSION_COOKIE

    page = await browser.new_page(viewport={"width": 1440, "height": height})
    if session_token:
        await page.context.add_cookies([{"name": SESSION_COOKIE, "value": session_token, "url": console_url}])
    return page
