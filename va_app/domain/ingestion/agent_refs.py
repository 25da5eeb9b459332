"""One analytics dimension per agent: events that name an agent by slug are stored under its id.

Every chart, filter and rollup keys on ``agent_id``. The chat runtime writes ids; people who
send events through the API often write the slug (the README's own example does). Stored as
sent, the two would be two rows of every breakdown for one agent. The intake therefore looks
slugs up (in the caller's tenant only, archived agents included) and rewrites them to the id
before the event gets its identity; a value that is neither an id nor a known slug is refused
with a reason, because storing it would start a dimension no agent can ever own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from core import db
from models.repositories import agents as agents_repo


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def named_agent(raw: Any) -> str | None:
    """The non-id agent reference of a raw event (its slug), or None when there is none."""
    if not isinstance(raw, dict):
        return None
    payload = raw.get("payload")
    if not isinstance(payload, dict):
        return None
    value = payload.get("agent_id")
    if not isinstance(value, str) or not value.strip() or _is_uuid(value.strip()):
        return None
    return value.strip()


async def ids_by_slug(tenant_id: uuid.UUID, slugs: Iterable[str]) -> dict[str, str]:
    """Slug -> agent id for the slugs of ``tenant_id`` that exist (one lookup per distinct slug)."""
    wanted = sorted(set(slugs))
    if not wanted:
        return {}
    found: dict[str, str] = {}
    async with db.session_scope() as session:
        for slug in wanted:
            agent = await agents_repo.get_agent_by_slug(session=session, tenant_id=tenant_id, slug=slug)
            if agent is not None:
                found[slug] = str(agent.id)
    return found


def with_agent_id(raw: dict[str, Any], agent_id: str) -> dict[str, Any]:
    """A copy of ``raw`` whose payload names the agent by id."""
    return {**raw, "payload": {**raw["payload"], "agent_id": agent_id}}


def unknown_reason(slug: str) -> str:
    return (
        f"payload.agent_id: '{slug}' is neither an agent id nor the slug of an agent of this tenant; "
        "send the agent's id or slug (create the agent first)"
    )
