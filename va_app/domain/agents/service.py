"""Agents: create, read, update, archive (never hard-deleted: versions, deployments and
analytics keep pointing at them).

Services take a :class:`Principal`, check its permission, open their own transaction and
return plain dataclasses, so the API and the console call the same functions.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import db
from core.channels import AGENT_CHANNELS, normalize_channel
from models.agents import Agent
from models.base import utcnow
from models.repositories import agents as agents_repo
from models.repositories import members as members_repo
from va_app.domain.errors import Conflict, InvalidInput, NotFound
from va_app.domain.identity.audit import audit
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.pagination import decode_cursor, encode_cursor

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
CHANNELS: tuple[str, ...] = tuple(c.value for c in AGENT_CHANNELS)


@dataclass(frozen=True)
class AgentInfo:
    id: str
    slug: str
    name: str
    description: str
    brand: str | None
    channels: list[str]
    owner_id: str | None
    status: str
    template: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    archived_at: dt.datetime | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe(agent: Agent) -> AgentInfo:
    return AgentInfo(
        id=str(agent.id),
        slug=agent.slug,
        name=agent.name,
        description=agent.description,
        brand=agent.brand,
        channels=list(agent.channels or []),
        owner_id=str(agent.owner_id) if agent.owner_id else None,
        status=agent.status,
        template=agent.template,
        created_at=agent.created_at,
        updated_at=agent.updated_at,
        archived_at=agent.archived_at,
    )


async def load_agent(
    session: AsyncSession, principal: Principal, id_or_slug: str | uuid.UUID, *, for_update: bool = False
) -> Agent:
    """The caller's agent by id or slug; another tenant's (or a key's disallowed) agent is "not found"."""
    principal.require(Perm.AGENTS_READ)
    agent: Agent | None
    try:
        agent_id = id_or_slug if isinstance(id_or_slug, uuid.UUID) else uuid.UUID(id_or_slug)
    except ValueError:
        agent = await agents_repo.get_agent_by_slug(
            session=session, tenant_id=principal.tenant_id, slug=str(id_or_slug)
        )
        if agent is not None and for_update:
            agent = await agents_repo.get_agent(
                session=session, tenant_id=principal.tenant_id, agent_id=agent.id, for_update=True
            )
    else:
        agent = await agents_repo.get_agent(
            session=session, tenant_id=principal.tenant_id, agent_id=agent_id, for_update=for_update
        )
    if agent is None or not principal.may_use_agent(str(agent.id), agent.slug):
        raise NotFound(f"agent '{id_or_slug}' not found")
    return agent


def require_active(agent: Agent) -> None:
    if agent.archived_at is not None:
        raise Conflict(f"agent '{agent.slug}' is archived; restore it first", code="agent_archived")


def _clean_channels(channels: list[str] | None) -> list[str]:
    result: list[str] = []
    for given in channels or []:
        channel = normalize_channel(given)  # "twilio" is the connector; its channel is "sms"
        if channel not in CHANNELS:
            raise InvalidInput(f"unknown channel '{channel}'; known: {', '.join(CHANNELS)}")
        if channel not in result:
            result.append(channel)
    return result


async def _check_owner(session: AsyncSession, principal: Principal, owner_id: uuid.UUID | None) -> None:
    if owner_id is None:
        return
    member = await members_repo.get_member(session=session, tenant_id=principal.tenant_id, user_id=owner_id)
    if member is None:
        raise InvalidInput("owner_id must be a member of this tenant")


async def insert_agent(
    session: AsyncSession,
    principal: Principal,
    *,
    slug: str,
    name: str,
    description: str = "",
    brand: str | None = None,
    channels: list[str] | None = None,
    owner_id: uuid.UUID | None = None,
    template: str | None = None,
    tenant_id: uuid.UUID | None = None,
) -> Agent:
    """Create the row inside the caller's transaction (templates and clones add a version to it)."""
    if not SLUG_RE.match(slug):
        raise InvalidInput("slug: 1-63 lowercase letters, digits and hyphens, not starting or ending with '-'")
    target_tenant = tenant_id or principal.tenant_id
    if await agents_repo.get_agent_by_slug(session=session, tenant_id=target_tenant, slug=slug) is not None:
        raise Conflict(f"an agent with slug '{slug}' already exists", code="slug_taken")
    if target_tenant == principal.tenant_id:
        await _check_owner(session, principal, owner_id)
    try:
        async with session.begin_nested():
            agent = await agents_repo.create_agent(
                session=session,
                tenant_id=target_tenant,
                slug=slug,
                name=name,
                description=description,
                brand=brand,
                channels=_clean_channels(channels),
                owner_id=owner_id if owner_id is not None else principal.user_id,
                template=template,
            )
    except IntegrityError as exc:  # a concurrent create of the same slug won the race
        raise Conflict(f"an agent with slug '{slug}' already exists", code="slug_taken") from exc
    await audit(
        session, principal, "agent.create", "agent", agent.id, after=describe(agent).as_dict(), tenant_id=target_tenant
    )
    return agent


async def create_agent(principal: Principal, **fields: Any) -> AgentInfo:
    """Fields: slug, name, description, brand, channels, owner_id."""
    principal.require(Perm.AGENTS_WRITE)
    async with db.session_scope() as session:
        agent = await insert_agent(session, principal, **fields)
        return describe(agent)


async def get_agent(principal: Principal, id_or_slug: str) -> AgentInfo:
    async with db.session_scope() as session:
        return describe(await load_agent(session, principal, id_or_slug))


async def list_agents(
    principal: Principal,
    *,
    include_archived: bool = False,
    brand: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[AgentInfo], str | None]:
    principal.require(Perm.AGENTS_READ)
    after = decode_cursor(cursor) if cursor else None
    async with db.session_scope() as session:
        rows = await agents_repo.list_agents_page(
            session=session,
            tenant_id=principal.tenant_id,
            include_archived=include_archived,
            brand=brand,
            limit=limit + 1,
            after=after,
        )
    visible = rows[:limit]
    next_cursor = encode_cursor(visible[-1].created_at, visible[-1].id) if len(rows) > limit else None
    return [describe(a) for a in visible if principal.may_use_agent(str(a.id), a.slug)], next_cursor


_UPDATABLE = ("name", "description", "brand", "channels", "owner_id")


async def update_agent(principal: Principal, id_or_slug: str, changes: dict[str, Any]) -> AgentInfo:
    """Partial update of the descriptive fields; the slug is the agent's stable handle and stays."""
    principal.require(Perm.AGENTS_WRITE)
    unknown = set(changes) - set(_UPDATABLE)
    if unknown:
        raise InvalidInput(f"cannot change: {', '.join(sorted(unknown))}")
    async with db.session_scope() as session:
        agent = await load_agent(session, principal, id_or_slug, for_update=True)
        require_active(agent)
        before = describe(agent).as_dict()
        if "channels" in changes:
            changes["channels"] = _clean_channels(changes["channels"])
        if "owner_id" in changes:
            await _check_owner(session, principal, changes["owner_id"])
        if "name" in changes and not (changes["name"] or "").strip():
            raise InvalidInput("name must not be empty")
        for key, value in changes.items():
            setattr(agent, key, value)
        agent.updated_at = utcnow()
        await session.flush()
        after = describe(agent).as_dict()
        await audit(session, principal, "agent.update", "agent", agent.id, before=before, after=after)
        return describe(agent)


async def set_archived(principal: Principal, id_or_slug: str, archived: bool) -> AgentInfo:
    """Archive (what DELETE does) or restore. An archived agent serves no traffic in any environment."""
    from va_app.domain.agents import resolver  # cache invalidation lives with the resolver

    principal.require(Perm.AGENTS_WRITE)
    async with db.session_scope() as session:
        agent = await load_agent(session, principal, id_or_slug, for_update=True)
        if (agent.archived_at is not None) == archived:
            return describe(agent)
        before = describe(agent).as_dict()
        agent.archived_at = utcnow() if archived else None
        agent.status = "archived" if archived else "active"
        agent.updated_at = utcnow()
        await session.flush()
        action = "agent.archive" if archived else "agent.restore"
        await audit(session, principal, action, "agent", agent.id, before=before, after=describe(agent).as_dict())
        info = describe(agent)
    await resolver.invalidate(principal.tenant_id, agent.id)
    return info
