"""Find an agent of the caller's tenant by id or slug (another tenant's agent is "not found")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from core import db
from models.repositories import agents as agents_repo
from va_app.domain.errors import NotFound
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal


@dataclass(frozen=True)
class AgentRef:
    id: str
    slug: str
    name: str


async def find_agent(principal: Principal, id_or_slug: str) -> AgentRef:
    principal.require(Perm.AGENTS_READ)
    async with db.session_scope() as session:
        agent = None
        try:
            agent = await agents_repo.get_agent(
                session=session, tenant_id=principal.tenant_id, agent_id=uuid.UUID(id_or_slug)
            )
        except ValueError:
            agent = await agents_repo.get_agent_by_slug(session=session, tenant_id=principal.tenant_id, slug=id_or_slug)
        if agent is None or not principal.may_use_agent(str(agent.id), agent.slug):
            raise NotFound(f"agent '{id_or_slug}' not found")
        return AgentRef(str(agent.id), agent.slug, agent.name)


async def slugs_by_id(tenant_id: uuid.UUID | str) -> dict[str, str]:
    """Agent id -> slug for one tenant, archived agents included (their traffic is still on the
    charts), so analytics can show people names where the events carry ids. The caller has
    already checked that the principal may read this tenant's analytics."""
    try:
        tenant = tenant_id if isinstance(tenant_id, uuid.UUID) else uuid.UUID(str(tenant_id))
    except ValueError:
        return {}
    async with db.session_scope() as session:
        return {str(a.id): a.slug for a in await agents_repo.list_agents(session=session, tenant_id=tenant)}


def agent_filter_value(value: str, slugs: dict[str, str]) -> str:
    """What a filter on the events' ``agent_id`` needs for what a person typed or picked: the id
    behind a slug, or the value itself (an id, or a name the events use directly)."""
    by_slug = {slug: agent_id for agent_id, slug in slugs.items()}
    return by_slug.get(value, value)
