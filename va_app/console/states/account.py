"""State of the account page: two-factor enrolment and removal, password change.

Each event asks ``_principal()`` first, so the services act for the user of the current
session only. Recovery codes are kept in a var just long enough to show them once; dismissing
the panel (or leaving the page) clears them.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import EventSpec

from va_app.console.states.auth import AuthState, error_text
from va_app.domain.errors import DomainError
from va_app.domain.identity.login import change_password, confirm_totp_enrolment, disable_totp, start_totp_enrolment

MIN_PASSWORD = 10


class AccountState(AuthState):
    """Enrolment in progress, the one-time recovery codes and the forms' errors."""

    enrol_secret: rx.Field[str] = rx.field("")
    enrol_qr: rx.Field[str] = rx.field("")
    recovery_codes: rx.Field[list[str]] = rx.field(default_factory=list)
    totp_error: rx.Field[str] = rx.field("")
    password_error: rx.Field[str] = rx.field("")
    confirm_disable: rx.Field[bool] = rx.field(False)

    @rx.var
    def enrolling(self) -> bool:
        """A secret was issued and waits for its first code."""
        return self.enrol_secret != ""

    @rx.var
    def recovery_text(self) -> str:
        """The codes one a line, for the copy button."""
        return "\n".join(self.recovery_codes)

    @rx.event
    def open_page(self) -> None:
        """Forget anything secret left from an earlier visit."""
        self.enrol_secret = self.enrol_qr = self.totp_error = self.password_error = ""
        self.recovery_codes = []
        self.confirm_disable = False

    @rx.event
    async def start_enrolment(self) -> EventSpec | None:
        """Issue a new secret and its QR code; two-factor stays off until a code confirms it."""
        self.totp_error = ""
        try:
            enrolment = await start_totp_enrolment(await self._principal())
        except DomainError as exc:
            return self._failed(exc)
        self.enrol_secret, self.enrol_qr = enrolment.secret, enrolment.qr_data_uri
        return None

    @rx.event
    def cancel_enrolment(self) -> None:
        """Stop showing the secret (it stays inactive on the server)."""
        self.enrol_secret = self.enrol_qr = self.totp_error = ""

    @rx.event
    async def confirm_enrolment(self, form: dict[str, Any]) -> EventSpec | None:
        """Turn two-factor on with the first code; show the recovery codes once."""
        code = str(form.get("code", "")).strip().replace(" ", "")
        if len(code) != 6 or not code.isdigit():
            self.totp_error = "Enter the 6-digit code your authenticator app shows."
            return None
        try:
            codes = await confirm_totp_enrolment(await self._principal(), code)
        except DomainError as exc:
            if exc.code == "invalid_input":
                self.totp_error = error_text(exc)
                return None
            return self._failed(exc)
        self.recovery_codes = codes
        self.enrol_secret = self.enrol_qr = self.totp_error = ""
        self.totp_enabled = True
        return rx.toast.success("Two-factor authentication is on.")

    @rx.event
    def dismiss_codes(self) -> None:
        """The user saved the codes; they are not shown again."""
        self.recovery_codes = []

    @rx.event
    def set_confirm_disable(self, value: bool) -> None:
        self.confirm_disable = value

    @rx.event
    async def disable(self) -> EventSpec | None:
        """Turn two-factor off (the secret and recovery codes are deleted on the server)."""
        self.confirm_disable = False
        try:
            await disable_totp(await self._principal())
        except DomainError as exc:
            return self._failed(exc)
        self.totp_enabled = False
        self.recovery_codes = []
        return rx.toast.success("Two-factor authentication is off.")

    @rx.event
    async def submit_password(self, form: dict[str, Any]) -> EventSpec | None:
        """Change the password after checking the current one (the service checks it too)."""
        current, new, again = (str(form.get(k, "")) for k in ("current", "new", "again"))
        self.password_error = ""
        if len(new) < MIN_PASSWORD:
            self.password_error = f"The new password must have at least {MIN_PASSWORD} characters."
            return None
        if new != again:
            self.password_error = "The two new passwords differ."
            return None
        try:
            await change_password(await self._principal(), current, new)
        except DomainError as exc:
            if exc.code == "invalid_input":
                self.password_error = error_text(exc)
                return None
            return self._failed(exc)
        return rx.toast.success("Password changed.")
