"""State of the login page: password first, then (if the user enabled it) a TOTP or recovery code.

Passwords and codes arrive as form data and are never kept in a state var, so they are not
echoed back to the browser in a state delta. The pending second-factor token is backend-only
for the same reason.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from va_app.console.states.auth import AuthState, error_text, safe_next
from va_app.domain.errors import DomainError, NotAuthenticated
from va_app.domain.identity.login import login, verify_second_factor

log = logging.getLogger(__name__)

PASSWORD_STEP = "password"
CODE_STEP = "code"


class LoginState(AuthState):
    """The two steps of signing in and their errors."""

    step: rx.Field[str] = rx.field(PASSWORD_STEP)
    email: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")
    busy: rx.Field[bool] = rx.field(False)

    _mfa_token: str = ""

    def _next_path(self) -> str:
        return safe_next(self.router.url.query_parameters.get("next"))

    @rx.event
    async def open_page(self) -> EventSpec | None:
        """Skip the form when this browser is still signed in; otherwise start at the password."""
        self.step = PASSWORD_STEP
        self.error = ""
        self.busy = False
        self._mfa_token = ""
        if not self.session_token:
            return None
        try:
            await self._principal()
        except NotAuthenticated:
            self.session_token = ""
            return None
        return rx.redirect(self._next_path(), replace=True)

    @rx.event
    async def submit_password(self, form: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        """Check email and password; continue to the code step when two-factor is on."""
        email = str(form.get("email", "")).strip()
        password = str(form.get("password", ""))
        tenant = str(form.get("tenant", "")).strip() or None
        if not email or not password:
            self.error = "Enter your email and password."
            return
        self.busy, self.error, self.email = True, "", email
        yield None
        self._bind_request_context()
        try:
            result = await login(email, password, tenant)
        except DomainError as exc:
            self.busy, self.error = False, error_text(exc)
            return
        self.busy = False
        if result.status == "totp_required" and result.mfa_token:
            self._mfa_token = result.mfa_token
            self.step = CODE_STEP
            return
        yield await self._finish(result.session_token or "")

    @rx.event
    async def submit_code(self, form: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        """Finish with a 6-digit code or a recovery code; an expired step goes back to the password."""
        code = str(form.get("code", "")).strip()
        if not code:
            self.error = "Enter the 6-digit code from your authenticator app, or a recovery code."
            return
        self.busy, self.error = True, ""
        yield None
        self._bind_request_context()
        try:
            result = await verify_second_factor(self._mfa_token, code)
        except DomainError as exc:
            self.busy, self.error = False, error_text(exc)
            if isinstance(exc, NotAuthenticated) and "expired" in exc.message:
                self.step, self._mfa_token = PASSWORD_STEP, ""
            return
        self.busy = False
        yield await self._finish(result.session_token or "")

    @rx.event
    def back_to_password(self) -> None:
        """Start over (e.g. another account)."""
        self.step, self.error, self._mfa_token = PASSWORD_STEP, "", ""

    async def _finish(self, token: str) -> EventSpec:
        """Keep the session in the cookie, load who this is, and go where the user was heading."""
        self.session_token = token
        self._mfa_token = ""
        self.auth_notice = ""
        self.step = PASSWORD_STEP
        try:
            await self._load_identity(await self._principal())
        except DomainError as exc:
            self.error = error_text(exc)
            return rx.noop()
        return rx.redirect(self._next_path(), replace=True)
