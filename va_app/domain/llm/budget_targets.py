"""What a budget can be set on, by readable name: the tenant's agents (slug) and API keys (name).

The console offers these in its "Add budget" form and names a budget's target with them
instead of a raw id. Only what the principal may read is listed, through the agents and API
keys services: without ``keys:read`` (a viewer) no key is listed and the caller shows a
shortened id instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from va_app.domain.agents import service as agents
from va_app.domain.identity import api_keys
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal

PAGE = 200


@dataclass(frozen=True)
class Target:
    id: str
    label: str  # the agent's slug; the key's name and visible prefix
    selectable: bool  # an active agent or a usable key: offered for a new budget


@dataclass(frozen=True)
class Targets:
    agents: list[Target] = field(default_factory=list)
    keys: list[Target] = field(default_factory=list)


async def budget_targets(principal: Principal) -> Targets:
    """Every agent (archived ones too, for names) and every key the principal may read."""
    found_agents: list[Target] = []
    if principal.can(Perm.AGENTS_READ):
        cursor: str | None = None
        while True:
            rows, cursor = await agents.list_agents(principal, include_archived=True, limit=PAGE, cursor=cursor)
            found_agents += [Target(a.id, a.slug, a.archived_at is None) for a in rows]
            if cursor is None:
                break
    found_keys: list[Target] = []
    if principal.can(Perm.KEYS_READ):
        now = dt.datetime.now(dt.UTC)
        cursor = None
        while True:
            keys, cursor = await api_keys.list_api_keys(principal, include_revoked=True, limit=PAGE, cursor=cursor)
            for k in keys:
                usable = k.revoked_at is None and (k.expires_at is None or k.expires_at > now)
                suffix = "" if usable else (" — revoked" if k.revoked_at is not None else " — expired")
                found_keys.append(Target(str(k.id), f"{k.name} (va_{k.prefix}_…){suffix}", usable))
            if cursor is None:
                break
    by_label = sorted(found_agents, key=lambda t: t.label)
    return Targets(agents=by_label, keys=found_keys)
