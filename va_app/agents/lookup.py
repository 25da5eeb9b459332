"""Find an agent of the caller's tenant by id or slug (another tenant's agent is "not found")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from core import db
from models.repositories import agents as agents_repo
from va_app.auth.permissions import Perm
from va_app.auth.principal import Principal
from va_app.errors import NotFound


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
