"""The one permission table: role -> permissions. Everything else asks this module.

Roles are ordered (``ROLE_RANK``) so "a key no higher than its creator" has a meaning.
``superadmin`` is a platform role held by a user, never by a tenant membership or a key.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    ANALYST = "analyst"
    DEVELOPER = "developer"
    ADMIN = "admin"
    OWNER = "owner"
    SUPERADMIN = "superadmin"


TENANT_ROLES = (Role.OWNER, Role.ADMIN, Role.DEVELOPER, Role.ANALYST, Role.VIEWER)
ROLE_RANK = {role: rank for rank, role in enumerate(Role)}


class Perm(StrEnum):
    TENANT_READ = "tenant:read"
    TENANT_WRITE = "tenant:write"
    USERS_READ = "users:read"
    USERS_WRITE = "users:write"
    KEYS_READ = "keys:read"
    KEYS_WRITE = "keys:write"
    AUDIT_READ = "audit:read"
    AGENTS_READ = "agents:read"
    AGENTS_WRITE = "agents:write"
    AGENTS_DEPLOY = "agents:deploy"
    AGENTS_PROMOTE_PRODUCTION = "agents:promote_production"
    KNOWLEDGE_READ = "knowledge:read"
    KNOWLEDGE_WRITE = "knowledge:write"
    CHAT = "chat"
    LLM_QUERY = "llm:query"
    LLM_MODELS_RAW = "llm:models_raw"
    ANALYTICS_READ = "analytics:read"
    ANALYTICS_WRITE = "analytics:write"
    ALERTS_WRITE = "alerts:write"
    INTEGRATIONS_READ = "integrations:read"
    INTEGRATIONS_WRITE = "integrations:write"
    BUDGETS_READ = "budgets:read"
    BUDGETS_WRITE = "budgets:write"
    EVENTS_INGEST = "events:ingest"
    PLATFORM_ADMIN = "platform:admin"


_VIEWER = {
    Perm.TENANT_READ,
    Perm.AGENTS_READ,
    Perm.KNOWLEDGE_READ,
    Perm.ANALYTICS_READ,
    Perm.INTEGRATIONS_READ,
    Perm.BUDGETS_READ,
    Perm.CHAT,
}
_ANALYST = _VIEWER | {Perm.ANALYTICS_WRITE, Perm.AUDIT_READ}
_DEVELOPER = _ANALYST | {
    Perm.AGENTS_WRITE,
    Perm.AGENTS_DEPLOY,
    Perm.KNOWLEDGE_WRITE,
    Perm.LLM_QUERY,
    Perm.EVENTS_INGEST,
    Perm.KEYS_READ,
    Perm.KEYS_WRITE,
    Perm.USERS_READ,
}
_ADMIN = _DEVELOPER | {
    Perm.AGENTS_PROMOTE_PRODUCTION,
    Perm.USERS_WRITE,
    Perm.INTEGRATIONS_WRITE,
    Perm.BUDGETS_WRITE,
    Perm.ALERTS_WRITE,
    Perm.LLM_MODELS_RAW,
}
_OWNER = _ADMIN | {Perm.TENANT_WRITE}

PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.VIEWER: frozenset(_VIEWER),
    Role.ANALYST: frozenset(_ANALYST),
    Role.DEVELOPER: frozenset(_DEVELOPER),
    Role.ADMIN: frozenset(_ADMIN),
    Role.OWNER: frozenset(_OWNER),
    Role.SUPERADMIN: frozenset(Perm),
}


def permissions_for(role: str) -> frozenset[Perm]:
    try:
        return PERMISSIONS[Role(role)]
    except ValueError:
        return frozenset()


def has_permission(role: str, perm: Perm) -> bool:
    return perm in permissions_for(role)


def role_at_most(candidate: str, ceiling: str) -> bool:
    """True when ``candidate`` grants no more than ``ceiling`` (for keys and invitations)."""
    return ROLE_RANK[Role(candidate)] <= ROLE_RANK[Role(ceiling)]
