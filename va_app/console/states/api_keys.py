"""State of the API keys page: list, create (secret shown once), revoke, rotate.

A new or rotated key's full text is held in ``new_key`` only until its dialog closes; the
server keeps a hash and can never show it again. Roles above the user's own, revocation of a
higher key and so on are refused by ``va_app.domain.identity.api_keys``, not here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, TypedDict

import reflex as rx
from reflex.event import EventSpec

from va_app.console.states.auth import AuthState, error_text
from va_app.console.states.formatting import stamp
from va_app.console.states.users import grantable_roles
from va_app.domain.errors import DomainError, InvalidInput
from va_app.domain.identity.api_keys import (
    ROTATION_GRACE,
    create_api_key,
    describe,
    list_api_keys,
    revoke_api_key,
    rotate_api_key,
)
from va_app.domain.identity.permissions import Perm

PAGE_SIZE = 50
GRACE_HOURS = int(ROTATION_GRACE.total_seconds() // 3600)


class KeyRow(TypedDict):
    """One key as the table shows it: never its secret or hash."""

    id: str
    name: str
    prefix: str
    role: str
    created: str
    last_used: str
    expires: str
    revoked: bool
    stale: bool
    grace_until: str


def _row(key: Any) -> KeyRow:
    info = describe(key)
    grace = info["rotated_grace_until"]
    return KeyRow(
        id=info["id"],
        name=info["name"],
        prefix=info["prefix"],
        role=info["role"],
        created=stamp(info["created_at"]),
        last_used=stamp(info["last_used_at"], "never"),
        expires=stamp(info["expires_at"], "never"),
        revoked=info["revoked_at"] is not None,
        stale=bool(info["is_stale"]) and info["revoked_at"] is None,
        grace_until=stamp(grace) if grace and grace > dt.datetime.now(dt.UTC) else "",
    )


def _expiry(day: str) -> dt.datetime | None:
    """``YYYY-MM-DD`` from a date input -> the end of that day in UTC (the key works all that day)."""
    if not day:
        return None
    try:
        start = dt.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=dt.UTC)
    except ValueError as exc:
        raise InvalidInput("the expiry date is not a date") from exc
    return start + dt.timedelta(days=1)


def _rate_limit(text: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise InvalidInput("the rate limit must be a whole number of requests per minute") from exc


class ApiKeysState(AuthState):
    """The key list, its cursor, and the create / one-time-secret / confirm dialogs."""

    keys: rx.Field[list[KeyRow]] = rx.field(default_factory=list)
    next_cursor: rx.Field[str] = rx.field("")
    include_revoked: rx.Field[bool] = rx.field(False)
    loaded: rx.Field[bool] = rx.field(False)
    load_error: rx.Field[str] = rx.field("")

    create_open: rx.Field[bool] = rx.field(False)
    create_role: rx.Field[str] = rx.field("viewer")
    create_error: rx.Field[str] = rx.field("")

    new_key: rx.Field[str] = rx.field("")
    new_key_name: rx.Field[str] = rx.field("")
    new_key_rotated: rx.Field[bool] = rx.field(False)

    pending_id: rx.Field[str] = rx.field("")
    pending_name: rx.Field[str] = rx.field("")
    pending_action: rx.Field[str] = rx.field("")  # "revoke" or "rotate"

    @rx.var
    def can_write(self) -> bool:
        """Show create, revoke and rotate (the service checks ``keys:write`` again)."""
        return Perm.KEYS_WRITE.value in self.permissions

    @rx.var
    def key_roles(self) -> list[str]:
        """Roles a new key may get: none above the creator's own."""
        return grantable_roles(self.role)

    @rx.var
    def stale_count(self) -> int:
        return sum(1 for k in self.keys if k["stale"])

    @rx.var
    def confirm_open(self) -> bool:
        return self.pending_id != ""

    @rx.var
    def secret_open(self) -> bool:
        return self.new_key != ""

    @rx.event
    async def load(self) -> EventSpec | None:
        """First page of keys (newest first)."""
        return await self._read(cursor=None)

    @rx.event
    async def load_more(self) -> EventSpec | None:
        return await self._read(cursor=self.next_cursor or None)

    @rx.event
    async def set_include_revoked(self, value: bool) -> EventSpec | None:
        self.include_revoked = value
        return await self._read(cursor=None)

    async def _read(self, cursor: str | None) -> EventSpec | None:
        try:
            keys, next_cursor = await list_api_keys(
                await self._principal(), include_revoked=self.include_revoked, limit=PAGE_SIZE, cursor=cursor
            )
        except DomainError as exc:
            self.loaded = True
            if exc.code == "permission_denied":
                self.load_error, self.keys = error_text(exc), []
                return None
            return self._failed(exc)
        rows = [_row(k) for k in keys]
        self.keys = [*self.keys, *rows] if cursor else rows
        self.next_cursor = next_cursor or ""
        self.loaded, self.load_error = True, ""
        return None

    @rx.event
    def set_create_open(self, value: bool) -> None:
        self.create_open, self.create_error = value, ""
        if value:
            self.create_role = "viewer"

    @rx.event
    def set_create_role(self, value: str) -> None:
        self.create_role = value

    @rx.event
    async def create(self, form: dict[str, Any]) -> EventSpec | None:
        """Create a key and show its full text once."""
        name = str(form.get("name", "")).strip()
        if not name:
            self.create_error = "Give the key a name, e.g. the service that will use it."
            return None
        try:
            created = await create_api_key(
                await self._principal(),
                name=name,
                role=self.create_role,
                expires_at=_expiry(str(form.get("expires", ""))),
                rate_limit_per_minute=_rate_limit(str(form.get("rate_limit", ""))),
            )
        except DomainError as exc:
            if exc.code in ("invalid_input", "permission_denied"):
                self.create_error = error_text(exc)
                return None
            return self._failed(exc)
        self.create_open, self.create_error = False, ""
        self.new_key, self.new_key_name, self.new_key_rotated = created.secret, name, False
        self.keys = [_row(created.key), *self.keys]
        return None

    @rx.event
    def close_secret(self, _open: bool = False) -> None:
        """Forget the key text: it is shown once."""
        self.new_key = self.new_key_name = ""
        self.new_key_rotated = False

    @rx.event
    def ask(self, action: str, key_id: str, name: str) -> None:
        """Open the confirmation for ``revoke`` or ``rotate`` of one key."""
        self.pending_action, self.pending_id, self.pending_name = action, key_id, name

    @rx.event
    def cancel(self) -> None:
        self.pending_action = self.pending_id = self.pending_name = ""

    @rx.event
    async def confirm(self) -> EventSpec | None:
        """Run the confirmed action; a rotation shows the new key once."""
        action, key_id, name = self.pending_action, self.pending_id, self.pending_name
        self.pending_action = self.pending_id = self.pending_name = ""
        try:
            principal = await self._principal()
            if action == "rotate":
                created = await rotate_api_key(principal, uuid.UUID(key_id))
                updated = _row(created.key)
                self.new_key, self.new_key_name, self.new_key_rotated = created.secret, name, True
            else:
                updated = _row(await revoke_api_key(principal, uuid.UUID(key_id)))
        except DomainError as exc:
            return self._failed(exc)
        if updated["revoked"] and not self.include_revoked:
            self.keys = [k for k in self.keys if k["id"] != key_id]
        else:
            self.keys = [updated if k["id"] == key_id else k for k in self.keys]
        return None if action == "rotate" else rx.toast.success(f"Key “{name}” was revoked; it stops working now.")
