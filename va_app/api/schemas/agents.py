"""Wire schemas of ``/agents``: agents, their immutable versions, templates and clones.

Version content is not redefined here: ``VersionCreate`` is the domain's ``VersionSpec``, so
the API, the console and the templates validate one schema; what the API shows about an
agent or a version is the domain's ``AgentInfo`` / ``VersionInfo``.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field
from pydantic.dataclasses import dataclass

from va_app.api.schemas.common import Page, Strict
from va_app.api.schemas.deployments import EnvironmentsPublic
from va_app.domain.agents.service import AgentInfo
from va_app.domain.agents.versions import VersionInfo, VersionSpec

Slug = Field(min_length=1, max_length=63, pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class AgentCreate(Strict):
    slug: str = Slug
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    brand: str | None = Field(default=None, max_length=100, description="brand or business unit tag")
    channels: list[str] = Field(default_factory=list, max_length=10)
    owner_id: uuid.UUID | None = Field(default=None, description="a member of the tenant; default: the caller")


class AgentUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    brand: str | None = Field(default=None, max_length=100)
    channels: list[str] | None = Field(default=None, max_length=10)
    owner_id: uuid.UUID | None = None


@dataclass(frozen=True)
class AgentPublic(AgentInfo):
    pass


class AgentsPublic(Page[AgentPublic]):
    pass


@dataclass(frozen=True)
class AgentDetail(AgentPublic):
    latest_version: int | None
    environments: EnvironmentsPublic


class VersionCreate(VersionSpec):
    """System prompt, greeting, model policy, temperature, knowledge bases, actions, guardrails, handoff rules."""


@dataclass(frozen=True)
class VersionPublic(VersionInfo):
    pass


class VersionsPublic(Page[VersionPublic]):
    pass


class VersionDiff(BaseModel):
    agent_id: str
    from_version: int
    to_version: int
    changes: list[dict[str, Any]]


class FromTemplate(Strict):
    template_id: str = Field(min_length=1, max_length=63)
    slug: str = Slug
    name: str | None = Field(default=None, min_length=1, max_length=200)
    brand: str | None = Field(default=None, max_length=100)
    variant: str | None = Field(default=None, max_length=63, description="e.g. luxury, lifestyle, business, resort")
    variables: dict[str, str] = Field(default_factory=dict, max_length=50)
    description: str | None = Field(default=None, max_length=5000)
    channels: list[str] | None = Field(default=None, max_length=10)


class CloneRequest(Strict):
    slug: str = Slug
    name: str | None = Field(default=None, min_length=1, max_length=200)
    brand: str | None = Field(default=None, max_length=100)
    version: int | None = Field(default=None, ge=1, description="default: the latest version")
    target_tenant_id: uuid.UUID | None = Field(default=None, description="superadmins only: another tenant")


class CreatedAgent(BaseModel):
    agent: AgentPublic
    version: VersionPublic
    notes: list[str]
