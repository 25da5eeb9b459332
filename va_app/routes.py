"""Every console route string, and the navigation built from them.

Pages, the sidebar and the states import routes from here so a path is spelled once. The
sidebar shows exactly the sections in ``NAV``: a section is added to the console by adding
its page module and one ``NavItem`` line, and nothing that does not work yet is listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from va_app.auth.permissions import Perm

OVERVIEW = "/"
LOGIN = "/login"
ACCOUNT = "/account"
USERS = "/users"
API_KEYS = "/api-keys"
AUDIT = "/audit"


@dataclass(frozen=True, slots=True)
class NavItem:
    """One sidebar entry: a label, the route it opens, a lucide icon name and, if any,
    the permission a role needs to see it (the page's services check it again)."""

    label: str
    route: str
    icon: str
    permission: str | None = None


NAV: tuple[NavItem, ...] = (
    NavItem("Overview", OVERVIEW, "layout-dashboard"),
    NavItem("Users & roles", USERS, "users", Perm.USERS_READ.value),
    NavItem("API keys", API_KEYS, "key-round", Perm.KEYS_READ.value),
    NavItem("Audit log", AUDIT, "scroll-text", Perm.AUDIT_READ.value),
    NavItem("Account", ACCOUNT, "shield-check"),
)
