"""``GET /agents/{id}/health``: can this agent answer in this environment right now?

Each check is ``{name, ok, detail}`` with ``ok`` true, false, or null (not run). The chat
runtime lives in ``conversations`` (which depends on agents), so the synthetic conversation is
a pluggable check: :mod:`va_app.runtime` sets :data:`synthetic_chat` to the chat probe, which
runs one scripted turn against the resolved version. Unset, that check reports ``ok: null``,
and the others check what exists: agent active, deployment serving, version resolvable
through the real resolver (Redis pins included), model policy valid, knowledge bases present.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import ValidationError

from core import db
from models.repositories import agents as agents_repo
from va_app.domain.agents import resolver
from va_app.domain.agents.deployments import check_environment
from va_app.domain.agents.service import load_agent
from va_app.domain.agents.versions import VersionInfo, VersionSpec
from va_app.domain.errors import DomainError
from va_app.domain.hooks import Slot
from va_app.domain.identity.principal import Principal

SyntheticChat = Callable[[uuid.UUID, str, str, VersionInfo], Awaitable[tuple[bool, str]]]
"""``(tenant_id, agent_id, environment, version) -> (ok, detail)``: one scripted turn."""

synthetic_chat: Slot[SyntheticChat] = Slot("synthetic chat")
PROBE_CONVERSATION = "va-health-probe"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None
    detail: str
    duration_ms: float = 0.0


async def agent_health(principal: Principal, agent: str, environment: str = "production") -> dict[str, Any]:
    check_environment(environment)
    checks: list[Check] = []
    async with db.session_scope() as session:
        row = await load_agent(session, principal, agent)
        current = await agents_repo.current_deployment(
            session=session, tenant_id=principal.tenant_id, agent_id=row.id, environment=environment
        )
        experiment = await agents_repo.running_experiment(
            session=session, tenant_id=principal.tenant_id, agent_id=row.id, environment=environment
        )
    checks.append(
        Check("agent_active", row.archived_at is None, "archived" if row.archived_at else f"status {row.status}")
    )
    if current is None and experiment is None:
        checks.append(Check("deployment", False, f"nothing deployed in {environment}"))
    elif experiment is not None:
        checks.append(Check("deployment", True, f"experiment '{experiment.name}' splits traffic"))
    else:
        assert current is not None
        detail = f"{current.status}: v{current.stable_version_number} stable"
        if current.status == "rolling_out":
            detail += f", v{current.version_number} at {current.percent}% ({current.strategy})"
        checks.append(Check("deployment", current.status in ("active", "rolling_out", "rolled_back"), detail))
    version: VersionInfo | None = None
    started = time.perf_counter()
    try:
        number, version = await resolver.resolve_version(principal.tenant_id, row.id, environment, PROBE_CONVERSATION)
        checks.append(Check("version_resolvable", True, f"probe conversation routed to v{number}", _ms(started)))
    except DomainError as exc:
        checks.append(Check("version_resolvable", False, exc.message, _ms(started)))
    if version is not None:
        checks.append(_policy_check(version))
        checks.append(await _knowledge_check(principal.tenant_id, version))
        checks.append(await _synthetic_check(principal.tenant_id, str(row.id), environment, version))
    else:
        checks.append(Check("synthetic_conversation", None, "skipped: no version to talk to"))
    failed = [c for c in checks if c.ok is False]
    return {
        "agent_id": str(row.id),
        "environment": environment,
        "version": version.number if version else None,
        "status": "healthy" if not failed else "unhealthy",
        "checks": [asdict(c) for c in checks],
    }


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _policy_check(version: VersionInfo) -> Check:
    try:
        VersionSpec.model_validate(version.content())
    except ValidationError as exc:
        first = exc.errors()[0]
        return Check("policy_valid", False, f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
    policy = version.model_policy
    return Check(
        "policy_valid",
        True,
        f"tier {policy.get('quality_tier', 'standard')}, "
        f"{len(policy.get('allowed_models') or []) or 'any'} model(s), "
        f"max ${policy.get('max_cost_per_conversation_usd') or '-'} per conversation",
    )


async def _knowledge_check(tenant_id: uuid.UUID, version: VersionInfo) -> Check:
    wanted = version.knowledge_base_ids
    if not wanted:
        return Check("knowledge_bases_reachable", True, "no knowledge bases attached")
    started = time.perf_counter()
    async with db.session_scope() as session:
        found = await agents_repo.existing_knowledge_base_ids(session=session, tenant_id=tenant_id, ids=wanted)
    missing = [k for k in wanted if k not in found]
    if missing:
        return Check("knowledge_bases_reachable", False, f"missing: {', '.join(missing)}", _ms(started))
    return Check("knowledge_bases_reachable", True, f"{len(wanted)} knowledge base(s) present", _ms(started))


async def _synthetic_check(tenant_id: uuid.UUID, agent_id: str, environment: str, version: VersionInfo) -> Check:
    probe = synthetic_chat.get()
    if probe is None:
        return Check(
            "synthetic_conversation",
            None,
            "not run: the chat runtime is not part of this build yet; it plugs in via "
            "va_app.domain.agents.health.synthetic_chat",
        )
    started = time.perf_counter()
    ok, detail = await probe(tenant_id, agent_id, environment, version)
    return Check("synthetic_conversation", ok, detail, _ms(started))
