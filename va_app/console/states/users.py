"""State of the users page: the tenant's members, invitations, role changes and removals.

Whether a change is allowed (``users:write``, no role above your own, at least one owner) is
decided by ``va_app.domain.identity.users``; this state only shows its verdict. After any refusal the
table is re-read, so a select that the service rejected shows the stored role again.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any, TypedDict

import reflex as rx
from reflex.event import EventSpec

from va_app.console.states.auth import AuthState, error_text
from va_app.console.states.formatting import stamp
from va_app.domain.errors import DomainError
from va_app.domain.identity.permissions import TENANT_ROLES, Perm, role_at_most
from va_app.domain.identity.users import Member, change_role, invite_member, list_members, remove_member

ROLES = [role.value for role in TENANT_ROLES]


def grantable_roles(role: str) -> list[str]:
    """Tenant roles no higher than ``role`` (all of them for a superadmin)."""
    if role == "superadmin":
        return ROLES
    if role not in ROLES:
        return []
    return [r for r in ROLES if role_at_most(r, role)]


class MemberRow(TypedDict):
    """One member as the table shows it."""

    user_id: str
    email: str
    full_name: str
    role: str
    totp_enabled: bool
    last_login: str
    joined: str


def _row(member: Member) -> MemberRow:
    return MemberRow(
        user_id=member.user_id,
        email=member.email,
        full_name=member.full_name,
        role=member.role,
        totp_enabled=member.totp_enabled,
        last_login=stamp(member.last_login_at, "never"),
        joined=stamp(member.joined_at),
    )


class UsersState(AuthState):
    """Members of the tenant and the dialogs of the page."""

    members: rx.Field[list[MemberRow]] = rx.field(default_factory=list)
    loaded: rx.Field[bool] = rx.field(False)
    load_error: rx.Field[str] = rx.field("")

    invite_open: rx.Field[bool] = rx.field(False)
    invite_role: rx.Field[str] = rx.field("viewer")
    invite_error: rx.Field[str] = rx.field("")
    invited_email: rx.Field[str] = rx.field("")
    temporary_password: rx.Field[str] = rx.field("")

    remove_id: rx.Field[str] = rx.field("")
    remove_email: rx.Field[str] = rx.field("")

    @rx.var
    def can_write(self) -> bool:
        """Show the invite, role and remove controls (the service checks again)."""
        return Perm.USERS_WRITE.value in self.permissions

    @rx.var
    def assignable_roles(self) -> list[str]:
        """Roles this user may grant: none above their own (a superadmin grants any)."""
        return grantable_roles(self.role)

    @rx.var
    def remove_open(self) -> bool:
        return self.remove_id != ""

    @rx.event
    async def load(self) -> EventSpec | None:
        """Read the members; a role without ``users:read`` gets a readable message instead."""
        try:
            members = await list_members(await self._principal())
        except DomainError as exc:
            self.loaded = True
            if exc.code == "permission_denied":
                self.load_error = error_text(exc)
                self.members = []
                return None
            return self._failed(exc)
        self.members = [_row(m) for m in members]
        self.load_error = ""
        self.loaded = True
        return None

    @rx.event
    def set_invite_open(self, value: bool) -> None:
        """Open a fresh dialog, or close it; closing forgets the temporary password (shown once)."""
        self.invite_open = value
        self.invite_error = ""
        self.invited_email = self.temporary_password = ""
        if value:
            self.invite_role = "viewer"

    @rx.event
    def set_invite_role(self, value: str) -> None:
        self.invite_role = value

    @rx.event
    async def invite(self, form: dict[str, Any]) -> EventSpec | None:
        """Add a member; a new user's temporary password is shown in the dialog once."""
        email = str(form.get("email", "")).strip()
        name = str(form.get("full_name", "")).strip()
        if not email:
            self.invite_error = "Enter the email address to invite."
            return None
        try:
            invitation = await invite_member(
                await self._principal(), email=email, role=self.invite_role, full_name=name
            )
        except DomainError as exc:
            if exc.code in ("invalid_input", "conflict", "permission_denied"):
                self.invite_error = error_text(exc)
                return None
            return self._failed(exc)
        self.invite_error = ""
        self.invited_email = invitation.member.email
        self.temporary_password = invitation.temporary_password or ""
        self.members = [*self.members, _row(invitation.member)]
        if not self.temporary_password:
            self.invite_open = False
            return rx.toast.success(f"{invitation.member.email} (an existing user) was added as {self.invite_role}.")
        return None

    @rx.event
    async def change_role(self, user_id: str, role: str) -> EventSpec | None:
        """Change a member's role; on refusal the table is re-read to show the stored role."""
        try:
            member = await change_role(await self._principal(), uuid.UUID(user_id), role)
        except DomainError as exc:
            await self._reload_quietly()
            return self._failed(exc)
        self.members = [_row(member) if m["user_id"] == user_id else m for m in self.members]
        return rx.toast.success(f"{member.email} is now {member.role}.")

    @rx.event
    def ask_remove(self, user_id: str, email: str) -> None:
        self.remove_id, self.remove_email = user_id, email

    @rx.event
    def cancel_remove(self) -> None:
        self.remove_id = self.remove_email = ""

    @rx.event
    async def confirm_remove(self) -> EventSpec | None:
        """Remove the member chosen in the dialog from this tenant (the user account stays)."""
        user_id, email = self.remove_id, self.remove_email
        self.remove_id = self.remove_email = ""
        try:
            await remove_member(await self._principal(), uuid.UUID(user_id))
        except DomainError as exc:
            return self._failed(exc)
        self.members = [m for m in self.members if m["user_id"] != user_id]
        return rx.toast.success(f"{email} was removed from the tenant.")

    async def _reload_quietly(self) -> None:
        with contextlib.suppress(DomainError):  # the caller reports the original error
            self.members = [_row(m) for m in await list_members(await self._principal())]
