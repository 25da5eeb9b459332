"""Immutable agent versions: create (next number), read, list, diff.

A version is the whole behaviour of an agent at a point in time. Nothing updates a version
row: a change is a new version with a change note, so a deployment, an experiment result or
an analytics series always refers to exactly what ran. The content schema lives here (not
in ``api/``) so the API, the console and the templates validate the same way.
"""

from __future__ import annotations

import datetime as dt
import difflib
import uuid
from dataclasses import asdict, dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core import db
from models.agents import AgentVersion
from models.repositories import agents as agents_repo
from va_app.domain.agents import notify
from va_app.domain.agents.service import load_agent, require_active
from va_app.domain.errors import InvalidInput, NotFound
from va_app.domain.identity.audit import audit
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal

QualityTier = Literal["economy", "standard", "premium"]


class _Content(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ModelPolicy(_Content):
    """What the LLM router may use: the cheapest model of ``quality_tier`` among ``allowed_models``."""

    quality_tier: QualityTier = "standard"
    allowed_models: list[str] = Field(default_factory=list, max_length=50, description="empty: any model of the tier")
    max_cost_per_conversation_usd: float | None = Field(default=None, gt=0, le=1000)


class Guardrails(_Content):
    blocked_topics: list[str] = Field(default_factory=list, max_length=200)
    pii_masking: bool = True
    semantic_cache: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="semantic answer-cache hits: auto = only for agents with knowledge, on = also without, off",
    )


class HandoffRules(_Content):
    """When a human takes over, and where the conversation goes."""

    enabled: bool = True
    on_intents: list[str] = Field(default_factory=list, max_length=100)
    on_keywords: list[str] = Field(default_factory=list, max_length=200)
    max_failed_turns: int | None = Field(default=2, ge=1, le=50)
    min_confidence: float | None = Field(default=None, ge=0, le=1)
    target_queue: str = Field(default="support", max_length=100)
    message: str = Field(default="Let me connect you with a colleague who can help.", max_length=1000)


class VersionSpec(_Content):
    """Everything a version holds (all optional, with safe defaults)."""

    system_prompt: str = Field(default="", max_length=100_000)
    greeting: str = Field(default="", max_length=5_000)
    model_policy: ModelPolicy = Field(default_factory=ModelPolicy)
    temperature: float = Field(default=0.2, ge=0, le=2)
    knowledge_base_ids: list[str] = Field(default_factory=list, max_length=50)
    allowed_actions: list[str] = Field(default_factory=list, max_length=200)
    guardrails: Guardrails = Field(default_factory=Guardrails)
    handoff_rules: HandoffRules = Field(default_factory=HandoffRules)
    change_note: str = Field(default="", max_length=2_000)


CONTENT_FIELDS = tuple(VersionSpec.model_fields)
_TEXT_FIELDS = {"system_prompt", "greeting", "change_note"}


@dataclass(frozen=True)
class VersionInfo:
    agent_id: str
    number: int
    system_prompt: str
    greeting: str
    model_policy: dict[str, Any]
    temperature: float
    knowledge_base_ids: list[str]
    allowed_actions: list[str]
    guardrails: dict[str, Any]
    handoff_rules: dict[str, Any]
    change_note: str
    created_by: str | None
    created_at: dt.datetime

    def content(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in CONTENT_FIELDS}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe(version: AgentVersion) -> VersionInfo:
    return VersionInfo(
        agent_id=str(version.agent_id),
        number=version.number,
        system_prompt=version.system_prompt,
        greeting=version.greeting,
        model_policy=dict(version.model_policy or {}),
        temperature=version.temperature,
        knowledge_base_ids=list(version.knowledge_base_ids or []),
        allowed_actions=list(version.allowed_actions or []),
        guardrails=dict(version.guardrails or {}),
        handoff_rules=dict(version.handoff_rules or {}),
        change_note=version.change_note,
        created_by=str(version.created_by) if version.created_by else None,
        created_at=version.created_at,
    )


def parse_spec(raw: VersionSpec | dict[str, Any]) -> VersionSpec:
    if isinstance(raw, VersionSpec):
        return raw
    try:
        return VersionSpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidInput(f"{where}: {first.get('msg', 'invalid')}") from None


async def insert_version(
    session: Any, principal: Principal, agent_id: uuid.UUID, spec: VersionSpec, *, tenant_id: uuid.UUID | None = None
) -> AgentVersion:
    """Validate references and insert the next version inside the caller's transaction.

    The caller holds the agent row lock, so two concurrent creates cannot pick the same number.
    """
    tenant = tenant_id or principal.tenant_id
    if spec.knowledge_base_ids:
        found = await agents_repo.existing_knowledge_base_ids(
            session=session, tenant_id=tenant, ids=spec.knowledge_base_ids
        )
        missing = [k for k in spec.knowledge_base_ids if k not in found]
        if missing:
            raise InvalidInput(f"knowledge bases not found in this tenant: {', '.join(missing)}")
    fields = spec.model_dump(mode="json")
    fields["created_by"] = principal.user_id
    version = await agents_repo.create_version(session=session, tenant_id=tenant, agent_id=agent_id, fields=fields)
    await audit(
        session,
        principal,
        "agent.version.create",
        "agent_version",
        version.id,
        after={"agent_id": str(agent_id), "number": version.number, **spec.model_dump(mode="json")},
        tenant_id=tenant,
    )
    return version


async def create_version(principal: Principal, agent: str, spec: VersionSpec | dict[str, Any]) -> VersionInfo:
    principal.require(Perm.AGENTS_WRITE)
    parsed = parse_spec(spec)
    async with db.session_scope() as session:
        row = await load_agent(session, principal, agent, for_update=True)
        require_active(row)
        info = describe(await insert_version(session, principal, row.id, parsed))
    await notify.publish(
        principal.tenant_id,
        [
            notify.AgentEventSpec(
                info.agent_id,
                "version.created",
                info.number,
                details={"change_note": info.change_note, "actor": principal.label},
            )
        ],
    )
    return info


async def get_version(principal: Principal, agent: str, number: int) -> VersionInfo:
    async with db.session_scope() as session:
        row = await load_agent(session, principal, agent)
        version = await agents_repo.get_version(
            session=session, tenant_id=principal.tenant_id, agent_id=row.id, number=number
        )
        if version is None:
            raise NotFound(f"agent '{agent}' has no version {number}")
        return describe(version)


async def list_versions(
    principal: Principal, agent: str, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[VersionInfo], str | None]:
    """Newest first; the cursor is the last number shown."""
    before: int | None = None
    if cursor:
        if not cursor.isdigit():
            raise InvalidInput("invalid cursor")
        before = int(cursor)
    async with db.session_scope() as session:
        row = await load_agent(session, principal, agent)
        rows = await agents_repo.list_versions(
            session=session, tenant_id=principal.tenant_id, agent_id=row.id, limit=limit + 1, before_number=before
        )
    shown = rows[:limit]
    return [describe(v) for v in shown], (str(shown[-1].number) if len(rows) > limit else None)


def diff(old: VersionInfo, new: VersionInfo) -> list[dict[str, Any]]:
    """Changed fields, each with before/after; long texts also as a unified diff."""
    changes: list[dict[str, Any]] = []
    for field in CONTENT_FIELDS:
        before, after = getattr(old, field), getattr(new, field)
        if before == after:
            continue
        change: dict[str, Any] = {"field": field, "before": before, "after": after}
        if field in _TEXT_FIELDS:
            change["unified_diff"] = list(
                difflib.unified_diff(
                    before.splitlines(),
                    after.splitlines(),
                    fromfile=f"v{old.number}",
                    tofile=f"v{new.number}",
                    lineterm="",
                )
            )
        changes.append(change)
    return changes


async def diff_versions(principal: Principal, agent: str, number: int, against: int | None = None) -> dict[str, Any]:
    """What changed from ``against`` (default: the previous version) to ``number``."""
    new = await get_version(principal, agent, number)
    base = against if against is not None else number - 1
    if base < 1:
        raise InvalidInput("version 1 has no previous version; pass 'against'")
    old = await get_version(principal, agent, base)
    return {"agent_id": new.agent_id, "from_version": old.number, "to_version": new.number, "changes": diff(old, new)}
