"""Create agents from built-in templates, and clone agents into another brand or tenant.

A template (or a clone) produces a new agent plus its version 1, in one transaction, so a
half-created agent never exists.

Knowledge bases and clones: within one tenant a clone keeps pointing at the same knowledge
bases (they are tenant-wide). Across tenants the ids would dangle, so they are handed to a
knowledge cloner that :mod:`va_app.runtime` plugs into :data:`knowledge_cloner` (the
knowledge module's copy: the bases into the target tenant, returning the new ids). Unset,
cross-tenant clones start without knowledge bases and say so in ``notes``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from core import db
from models.repositories import agents as agents_repo
from models.repositories import tenants as tenants_repo
from va_app.domain.agents import notify
from va_app.domain.agents import service as agent_service
from va_app.domain.agents import versions as version_service
from va_app.domain.agents.template_catalog import TEMPLATES, brand_voice
from va_app.domain.errors import InvalidInput, NotFound
from va_app.domain.hooks import Slot
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal

KnowledgeCloner = Callable[[uuid.UUID, uuid.UUID, list[str]], Awaitable[dict[str, str]]]
"""``(source_tenant_id, target_tenant_id, knowledge_base_ids) -> {old_id: new_id}``."""

knowledge_cloner: Slot[KnowledgeCloner] = Slot("knowledge cloner")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


@dataclass(frozen=True)
class Created:
    agent: agent_service.AgentInfo
    version: version_service.VersionInfo
    notes: list[str]


def _fill(text: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def list_templates() -> list[dict[str, Any]]:
    return [
        {
            "id": key,
            "name": t["name"],
            "description": t["description"],
            "category": t["category"],
            "channels": t["channels"],
            "variants": t.get("variants", {}),
            "variables": t["variables"],
            "suggested_intents": t["suggested_intents"],
        }
        for key, t in TEMPLATES.items()
    ]


def render_template(
    template_id: str, variant: str | None = None, variables: dict[str, str] | None = None
) -> dict[str, Any]:
    """The template with variables filled: what version 1 of the new agent will contain."""
    template = TEMPLATES.get(template_id)
    if template is None:
        raise NotFound(f"template '{template_id}' not found; known: {', '.join(TEMPLATES)}")
    values = {**template["variables"], **(variables or {})}
    unknown = set(variables or {}) - set(template["variables"])
    if unknown:
        raise InvalidInput(f"unknown template variables: {', '.join(sorted(unknown))}")
    greeting = template.get("greeting", "")
    if "variants" in template:
        chosen = variant or template["default_variant"]
        if chosen not in template["variants"]:
            raise InvalidInput(f"variant must be one of {', '.join(template['variants'])}")
        voice = brand_voice(chosen)
        values = {**values, "voice": voice["voice"]}
        greeting = voice["greeting"]
    elif variant:
        raise InvalidInput(f"template '{template_id}' has no variants")
    else:
        chosen = None
    spec = {
        "system_prompt": _fill(template["system_prompt"], values),
        "greeting": _fill(greeting, values),
        "model_policy": template["model_policy"],
        "temperature": template["temperature"],
        "guardrails": template["guardrails"],
        "handoff_rules": template["handoff_rules"],
        "allowed_actions": template["allowed_actions"],
        "change_note": f"created from template {template_id}" + (f" ({chosen})" if chosen else ""),
    }
    return {
        "id": template_id,
        "variant": chosen,
        "name": template["name"],
        "description": template["description"],
        "channels": template["channels"],
        "suggested_intents": template["suggested_intents"],
        "version": spec,
    }


async def create_from_template(
    principal: Principal,
    template_id: str,
    *,
    slug: str,
    name: str | None = None,
    brand: str | None = None,
    variant: str | None = None,
    variables: dict[str, str] | None = None,
    description: str | None = None,
    channels: list[str] | None = None,
) -> Created:
    principal.require(Perm.AGENTS_WRITE)
    rendered = render_template(template_id, variant, variables)
    spec = version_service.parse_spec(rendered["version"])
    async with db.session_scope() as session:
        agent = await agent_service.insert_agent(
            session,
            principal,
            slug=slug,
            name=name or rendered["name"],
            description=description if description is not None else rendered["description"],
            brand=brand,
            channels=channels if channels is not None else rendered["channels"],
            template=template_id,
        )
        version = await version_service.insert_version(session, principal, agent.id, spec)
        created = Created(agent_service.describe(agent), version_service.describe(version), [])
    await notify.publish(
        principal.tenant_id,
        [notify.AgentEventSpec(created.agent.id, "version.created", 1, details={"template": template_id})],
    )
    return created


async def clone_agent(
    principal: Principal,
    agent: str,
    *,
    slug: str,
    name: str | None = None,
    brand: str | None = None,
    version: int | None = None,
    target_tenant_id: uuid.UUID | None = None,
) -> Created:
    """Copy an agent (descriptive fields + one version, default the latest) as a new agent.

    Another tenant as target needs the platform-admin permission (a superadmin key); the
    clone's history starts fresh at version 1, with a change note naming its origin.
    """
    principal.require(Perm.AGENTS_WRITE)
    cross_tenant = target_tenant_id is not None and target_tenant_id != principal.tenant_id
    if cross_tenant:
        principal.require(Perm.PLATFORM_ADMIN)
    async with db.session_scope() as session:
        source = await agent_service.load_agent(session, principal, agent)
        if version is None:
            source_version = await agents_repo.latest_version(
                session=session, tenant_id=principal.tenant_id, agent_id=source.id
            )
        else:
            source_version = await agents_repo.get_version(
                session=session, tenant_id=principal.tenant_id, agent_id=source.id, number=version
            )
        if source_version is None:
            raise InvalidInput(f"agent '{source.slug}' has no version {version or ''}".strip())
        if cross_tenant:
            assert target_tenant_id is not None
            if await tenants_repo.get_tenant(session=session, tenant_id=target_tenant_id) is None:
                raise NotFound("target tenant not found")
        source_info = agent_service.describe(source)
        content = version_service.describe(source_version).content()
    notes: list[str] = []
    kb_ids: list[str] = list(content["knowledge_base_ids"])
    if cross_tenant and kb_ids:
        assert target_tenant_id is not None
        cloner = knowledge_cloner.get()
        if cloner is None:
            notes.append(f"{len(kb_ids)} knowledge base(s) not copied: no knowledge cloner is registered")
            kb_ids = []
        else:
            mapping = await cloner(principal.tenant_id, target_tenant_id, kb_ids)
            kb_ids = [mapping[k] for k in kb_ids if k in mapping]
            notes.append(f"{len(kb_ids)} knowledge base(s) copied into the target tenant")
    content["knowledge_base_ids"] = kb_ids
    content["change_note"] = f"cloned from {source_info.slug} v{source_version.number}"
    spec = version_service.parse_spec(content)
    tenant = target_tenant_id if cross_tenant else principal.tenant_id
    assert tenant is not None
    async with db.session_scope() as session:
        new_agent = await agent_service.insert_agent(
            session,
            principal,
            slug=slug,
            name=name or source_info.name,
            description=source_info.description,
            brand=brand if brand is not None else source_info.brand,
            channels=source_info.channels,
            owner_id=None if cross_tenant else source.owner_id,
            template=source_info.template,
            tenant_id=tenant,
        )
        new_version = await version_service.insert_version(session, principal, new_agent.id, spec, tenant_id=tenant)
        created = Created(agent_service.describe(new_agent), version_service.describe(new_version), notes)
    await notify.publish(
        tenant,
        [
            notify.AgentEventSpec(
                created.agent.id, "agent.cloned", 1, details={"source_agent_id": source_info.id, "notes": notes}
            )
        ],
    )
    return created
