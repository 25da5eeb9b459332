"""Who is signed in to this browser, and the one way page states learn it: ``_principal()``.

The session token lives in a cookie; the server-side session (Redis, 8 h inactivity) is the
truth. Every page state that acts for the user is a substate of :class:`AuthState` and calls
``await self._principal()`` at the start of each event, which re-reads the session and the
user's current role from the database, so a revoked session or a changed role applies on the
next click. The domain services then check the permission themselves; the vars here
(``permissions``, ``role``) only decide what the page shows.
"""

from __future__ import annotations

import logging
import uuid
from urllib.parse import quote

import reflex as rx
from reflex.event import EventSpec

from core.logs import client_var, request_id_var
from va_app.console import routes
from va_app.domain.errors import DomainError, NotAuthenticated, RateLimited
from va_app.domain.identity.account import my_account
from va_app.domain.identity.login import logout, principal_for_session
from va_app.domain.identity.principal import Principal

log = logging.getLogger(__name__)

SESSION_COOKIE = "va_session"
# The cookie outlives a working day on purpose: the server's 8 h inactivity timer decides
# when a session ends, and an active user must not be signed out by the browser mid-task.
COOKIE_MAX_AGE_S = 7 * 24 * 3600


def readable(message: str) -> str:
    """A service message as a sentence: capital first letter, final full stop."""
    text = message.strip()
    if not text:
        return "Something went wrong."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."


def error_text(exc: DomainError) -> str:
    """The sentence a user reads for a domain error (lockouts say how long to wait)."""
    if isinstance(exc, RateLimited):
        return f"Too many failed attempts. Try again in {exc.retry_after_s} s."
    return readable(exc.message)


def safe_next(target: str | None) -> str:
    """Only same-site paths after sign-in, so ``?next=`` cannot send a user elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or target.startswith(routes.LOGIN):
        return routes.OVERVIEW
    return target


class AuthState(rx.State):
    """The browser's session and what the signed-in user is, for the header and the nav."""

    session_token: str = rx.Cookie("", name=SESSION_COOKIE, max_age=COOKIE_MAX_AGE_S, same_site="strict")
    user_email: rx.Field[str] = rx.field("")
    user_name: rx.Field[str] = rx.field("")
    role: rx.Field[str] = rx.field("")
    tenant_name: rx.Field[str] = rx.field("")
    tenant_slug: rx.Field[str] = rx.field("")
    totp_enabled: rx.Field[bool] = rx.field(False)
    permissions: rx.Field[list[str]] = rx.field(default_factory=list)
    # Why the user was sent to the login page ("your session has expired …").
    auth_notice: rx.Field[str] = rx.field("")

    @rx.var
    def signed_in(self) -> bool:
        """True once a session was confirmed by the server on this tab."""
        return self.user_email != ""

    @rx.var
    def user_initial(self) -> str:
        """First letter of the email for the avatar."""
        return (self.user_email[:1] or "?").upper()

    def _bind_request_context(self) -> None:
        """Give this event what the API middleware gives a request: a request id, the client's
        address and user agent, so console actions reach the audit trail and the logs like API calls."""
        headers = self.router.headers
        forwarded = headers.raw_headers.get("x-forwarded-for", "").split(",")[0].strip()
        ip = forwarded or self.router.session.client_ip or None
        request_id_var.set(uuid.uuid4().hex)
        client_var.set((ip, headers.user_agent[:500] or None))

    async def _principal(self) -> Principal:
        """The signed-in user, checked against the server session now.

        Raises:
            NotAuthenticated: No session, an expired one, or the user lost access.
        """
        self._bind_request_context()
        principal = await principal_for_session(self.session_token)
        self._set_access(principal)
        return principal

    def _set_access(self, principal: Principal) -> None:
        """Copy the user's current role and permissions into the vars that decide what pages show."""
        self.role = principal.role
        self.permissions = sorted(p.value for p in principal.permissions)

    async def _load_identity(self, principal: Principal) -> None:
        """Copy the account (email, tenant, 2FA) into the vars the header shows."""
        account = await my_account(principal)
        self.user_email = account.email
        self.user_name = account.full_name
        self.role = account.role
        self.tenant_name = account.tenant_name
        self.tenant_slug = account.tenant_slug
        self.totp_enabled = account.totp_enabled

    def _clear_identity(self) -> None:
        self.session_token = ""
        self.user_email = ""
        self.user_name = ""
        self.role = ""
        self.tenant_name = ""
        self.tenant_slug = ""
        self.totp_enabled = False
        self.permissions = []

    def _to_login(self, message: str) -> EventSpec:
        """Forget the session and go to the login page, coming back here afterwards."""
        self._clear_identity()
        self.auth_notice = readable(message)
        here = self.router.url.path.rstrip("/") or routes.OVERVIEW  # the production build adds a slash
        target = routes.LOGIN if here in (routes.OVERVIEW, routes.LOGIN) else f"{routes.LOGIN}?next={quote(here)}"
        return rx.redirect(target, replace=True)

    def _failed(self, exc: DomainError) -> EventSpec:
        """What a page event returns when a service refused: login for a lost session, else a toast."""
        if isinstance(exc, NotAuthenticated):
            return self._to_login(exc.message)
        return rx.toast.error(error_text(exc), close_button=True)

    @rx.event
    async def check_login(self) -> EventSpec | None:
        """``on_load`` of every console page: send a signed-out browser to the login page."""
        try:
            principal = await self._principal()
            await self._load_identity(principal)
        except NotAuthenticated as exc:
            return self._to_login(exc.message)
        return None

    @rx.event
    async def sign_out(self) -> EventSpec:
        """End the server session first, then forget the cookie."""
        try:
            await logout(self.session_token)
        except Exception:  # the cookie is dropped anyway; the session then expires by itself
            log.exception("logout failed")
        self._clear_identity()
        self.auth_notice = "You have signed out."
        return rx.redirect(routes.LOGIN, replace=True)
