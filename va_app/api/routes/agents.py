"""Agents, their immutable versions, templates and clones."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from va_app.api.deps import PrincipalDep
from va_app.api.schemas.agents import (
    AgentCreate,
    AgentDetail,
    AgentPublic,
    AgentsPublic,
    AgentUpdate,
    CloneRequest,
    CreatedAgent,
    FromTemplate,
    VersionCreate,
    VersionDiff,
    VersionPublic,
    VersionsPublic,
)
from va_app.domain.agents import deployments, service, templates, versions
from va_app.domain.identity.permissions import Perm

router = APIRouter(tags=["agents"])
AgentPath = Annotated[str, Path(max_length=200, description="agent id or slug")]
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=200)]


def _created(created: templates.Created) -> CreatedAgent:
    return CreatedAgent(
        agent=AgentPublic(**created.agent.as_dict()),
        version=VersionPublic(**created.version.as_dict()),
        notes=created.notes,
    )


@router.post("/agents", status_code=201, response_model=AgentPublic, summary="Create an agent")
async def create_agent(body: AgentCreate, principal: PrincipalDep) -> AgentPublic:
    info = await service.create_agent(principal, **body.model_dump())
    return AgentPublic(**info.as_dict())


@router.get("/agents", response_model=AgentsPublic, summary="List agents (newest first)")
async def list_agents(
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    include_archived: bool = False,
    brand: Annotated[str | None, Query(max_length=100)] = None,
) -> AgentsPublic:
    rows, next_cursor = await service.list_agents(
        principal, include_archived=include_archived, brand=brand, limit=limit, cursor=cursor
    )
    data = [AgentPublic(**r.as_dict()) for r in rows]
    return AgentsPublic(data=data, count=len(data), next_cursor=next_cursor)


@router.post(
    "/agents/from-template", status_code=201, response_model=CreatedAgent, summary="Create an agent from a template"
)
async def create_from_template(body: FromTemplate, principal: PrincipalDep) -> CreatedAgent:
    fields = body.model_dump(exclude={"template_id"})
    return _created(await templates.create_from_template(principal, body.template_id, **fields))


@router.get("/agent-templates", summary="Built-in templates")
async def list_templates(principal: PrincipalDep) -> dict[str, Any]:
    principal.require(Perm.AGENTS_READ)
    data = templates.list_templates()
    return {"data": data, "count": len(data)}


@router.get("/agent-templates/preview", summary="A template rendered with a variant and variables")
async def preview_template(
    principal: PrincipalDep,
    template_id: Annotated[str, Query(max_length=63)],
    variant: Annotated[str | None, Query(max_length=63)] = None,
) -> dict[str, Any]:
    principal.require(Perm.AGENTS_READ)
    return templates.render_template(template_id, variant)


@router.get("/agents/{agent_id}", response_model=AgentDetail, summary="An agent with what each environment runs")
async def get_agent(agent_id: AgentPath, principal: PrincipalDep) -> AgentDetail:
    return AgentDetail(**await deployments.agent_overview(principal, agent_id))


@router.patch("/agents/{agent_id}", response_model=AgentPublic, summary="Change name, description, brand, channels")
async def update_agent(agent_id: AgentPath, body: AgentUpdate, principal: PrincipalDep) -> AgentPublic:
    info = await service.update_agent(principal, agent_id, body.model_dump(exclude_unset=True))
    return AgentPublic(**info.as_dict())


@router.delete("/agents/{agent_id}", response_model=AgentPublic, summary="Archive (agents are never hard-deleted)")
async def archive_agent(agent_id: AgentPath, principal: PrincipalDep) -> AgentPublic:
    return AgentPublic(**(await service.set_archived(principal, agent_id, True)).as_dict())


@router.post("/agents/{agent_id}/restore", response_model=AgentPublic, summary="Restore an archived agent")
async def restore_agent(agent_id: AgentPath, principal: PrincipalDep) -> AgentPublic:
    return AgentPublic(**(await service.set_archived(principal, agent_id, False)).as_dict())


@router.post(
    "/agents/{agent_id}/versions", status_code=201, response_model=VersionPublic, summary="Publish a new version"
)
async def create_version(agent_id: AgentPath, body: VersionCreate, principal: PrincipalDep) -> VersionPublic:
    info = await versions.create_version(principal, agent_id, body)
    return VersionPublic(**info.as_dict())


@router.get("/agents/{agent_id}/versions", response_model=VersionsPublic, summary="Versions, newest first")
async def list_versions(
    agent_id: AgentPath, principal: PrincipalDep, limit: Limit = 50, cursor: Cursor = None
) -> VersionsPublic:
    rows, next_cursor = await versions.list_versions(principal, agent_id, limit=limit, cursor=cursor)
    data = [VersionPublic(**r.as_dict()) for r in rows]
    return VersionsPublic(data=data, count=len(data), next_cursor=next_cursor)


@router.get("/agents/{agent_id}/versions/{n}", response_model=VersionPublic, summary="One version")
async def get_version(
    agent_id: AgentPath, n: Annotated[int, Path(ge=1, le=1_000_000)], principal: PrincipalDep
) -> VersionPublic:
    return VersionPublic(**(await versions.get_version(principal, agent_id, n)).as_dict())


@router.get(
    "/agents/{agent_id}/versions/{n}/diff",
    response_model=VersionDiff,
    summary="What changed from 'against' (default: the previous version) to this one",
)
async def diff_version(
    agent_id: AgentPath,
    n: Annotated[int, Path(ge=1, le=1_000_000)],
    principal: PrincipalDep,
    against: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> VersionDiff:
    return VersionDiff(**await versions.diff_versions(principal, agent_id, n, against))


@router.post(
    "/agents/{agent_id}/clone",
    status_code=201,
    response_model=CreatedAgent,
    summary="Copy an agent into another brand (or, for superadmins, another tenant)",
)
async def clone_agent(agent_id: AgentPath, body: CloneRequest, principal: PrincipalDep) -> CreatedAgent:
    created = await templates.clone_agent(
        principal,
        agent_id,
        slug=body.slug,
        name=body.name,
        brand=body.brand,
        version=body.version,
        target_tenant_id=body.target_tenant_id,
    )
    return _created(created)
