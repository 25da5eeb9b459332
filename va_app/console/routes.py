"""Every console route string, and the navigation built from them.

Pages, the sidebar and the states import routes from here so a path is spelled once. The
sidebar shows exactly the sections in ``NAV``: a section is added to the console by adding
its page module and one ``NavItem`` line, and nothing that does not work yet is listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from va_app.domain.identity.permissions import Perm

OVERVIEW = "/"
LOGIN = "/login"
ACCOUNT = "/account"
USERS = "/users"
API_KEYS = "/api-keys"
AUDIT = "/audit"
AGENTS = "/agents"
# Dynamic segments: the page states read them from the URL (``agent_slug``, ``kb_id``).
AGENT_DETAIL = "/agents/[agent_slug]"
AGENT_NEW_VERSION = "/agents/[agent_slug]/versions/new"
KNOWLEDGE = "/knowledge"
KNOWLEDGE_BASE = "/knowledge/[kb_id]"
PIPELINE = "/pipeline"
ANALYTICS = "/analytics"
CONVERSATIONS = "/conversations"
ALERTS = "/alerts"
INTEGRATIONS = "/integrations"
WEBHOOKS = "/webhooks"
LLM = "/llm"


def agent_path(slug: str) -> str:
    """The detail page of one agent (the slug is URL-safe by construction)."""
    return f"{AGENTS}/{slug}"


def new_version_path(slug: str) -> str:
    """The version editor of one agent."""
    return f"{AGENTS}/{slug}/versions/new"


def knowledge_base_path(kb_id: str) -> str:
    """The documents and search page of one knowledge base."""
    return f"{KNOWLEDGE}/{kb_id}"


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
    NavItem("Agents", AGENTS, "bot", Perm.AGENTS_READ.value),
    NavItem("Knowledge", KNOWLEDGE, "library", Perm.KNOWLEDGE_READ.value),
    NavItem("Analytics", ANALYTICS, "chart-line", Perm.ANALYTICS_READ.value),
    NavItem("Conversations", CONVERSATIONS, "messages-square", Perm.ANALYTICS_READ.value),
    NavItem("Alerts", ALERTS, "bell", Perm.ANALYTICS_READ.value),
    NavItem("Integrations", INTEGRATIONS, "plug", Perm.INTEGRATIONS_READ.value),
    NavItem("Webhooks", WEBHOOKS, "webhook", Perm.INTEGRATIONS_READ.value),
    NavItem("Event pipeline", PIPELINE, "workflow", Perm.ANALYTICS_READ.value),
    NavItem("LLM & budgets", LLM, "cpu", Perm.BUDGETS_READ.value),
    NavItem("Users & roles", USERS, "users", Perm.USERS_READ.value),
    NavItem("API keys", API_KEYS, "key-round", Perm.KEYS_READ.value),
    NavItem("Audit log", AUDIT, "scroll-text", Perm.AUDIT_READ.value),
    NavItem("Account", ACCOUNT, "shield-check"),
)
