"""Seed the demo tenant: a multi-brand hospitality group with agents, versions, deployments
and two weeks of conversation traffic. Safe to run again: it fills in only what is missing."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from analytics import generator
from analytics.queries import platform as platform_queries
from analytics.schema import apply_schema
from core import clickhouse, db
from core.config import get_settings
from models.repositories import agents as agents_repo
from models.repositories import audit as audit_repo
from models.repositories import tenants as tenants_repo
from va_app.admin.demo.knowledge import AGENT_FAQS, ensure_demo_knowledge
from va_app.domain.agents import resolver
from va_app.domain.agents.deployments import record_transition
from va_app.domain.identity.passwords import hash_password
from va_app.domain.identity.principal import Principal
from va_app.domain.llm import budgets

DEMO_AGENTS: list[dict[str, Any]] = [
    {
        "slug": "aurora-concierge",
        "name": "Aurora Hotels Concierge",
        "brand": "Aurora Hotels",
        "channels": ["web", "whatsapp"],
        "description": "Answers guests of Aurora Hotels: bookings, check-in, amenities, loyalty.",
        "template": "hotel-concierge",
        "versions": 2,
    },
    {
        "slug": "lumen-concierge",
        "name": "Lumen Resorts Concierge",
        "brand": "Lumen Resorts",
        "channels": ["web", "sms"],
        "description": "Concierge for Lumen Resorts guests, with spa and excursion knowledge.",
        "template": "hotel-concierge",
        "versions": 1,
    },
    {
        "slug": "support-faq",
        "name": "Guest Support FAQ",
        "brand": None,
        "channels": ["web", "slack", "teams"],
        "description": "Billing, cancellations and account questions for all brands.",
        "template": "customer-support-faq",
        "versions": 1,
    },
]
# Fifteen days: the charts' expected bands learn from the two weeks before the range shown, so
# the default "last 24 h" view has a band from the first visit.
DEMO_EVENTS = 250_000
DEMO_DAYS = 15


async def seed_demo() -> dict[str, Any]:
    settings = get_settings()
    created: list[str] = []
    async with db.session_scope() as session:
        tenant = await tenants_repo.get_tenant_by_slug(session=session, slug=settings.demo_tenant_slug)
        if tenant is None:
            tenant = await tenants_repo.create_tenant(
                session=session,
                slug=settings.demo_tenant_slug,
                name="Demo Hospitality Group",
                plan="enterprise",
                quotas={"agents": 50, "requests_per_minute": 5000},
                feature_flags={"semantic_cache": True, "canary_rollouts": True},
            )
            created.append("tenant")
        owner = await tenants_repo.get_user_by_email(session=session, email=settings.demo_owner_email)
        if owner is None:
            owner = await tenants_repo.create_user(
                session=session,
                email=settings.demo_owner_email,
                full_name="Demo Owner",
                password_hash=hash_password(settings.demo_owner_password.get_secret_value()),
            )
            created.append("owner")
        # The demo owner is also the platform's superadmin, so the demo console shows the
        # platform-wide view (all tenants, backend status) as well as the tenant's own pages.
        owner.is_superadmin = True
        if await tenants_repo.get_membership(session=session, tenant_id=tenant.id, user_id=owner.id) is None:
            await tenants_repo.add_membership(session=session, tenant_id=tenant.id, user_id=owner.id, role="owner")
        tenant_id, owner_id = tenant.id, owner.id
    seeder = Principal(
        tenant_id=tenant_id,
        role="owner",
        actor_type="cli",
        actor_id="va demo seed",
        label="va demo seed",
        user_id=owner_id,
    )
    kb_ids, kb_created = await ensure_demo_knowledge(seeder)
    created += kb_created
    agent_specs, agents_created, refreshed = await _ensure_agents(seeder, kb_ids)
    created += agents_created
    created += await _ensure_budgets(seeder, {slug: agent_id for slug, (agent_id, _spec) in agent_specs.items()})
    async with db.session_scope() as session:
        if created:
            await audit_repo.record(
                session=session,
                tenant_id=tenant_id,
                actor_type="cli",
                actor_id=None,
                actor_label="va demo seed",
                action="demo.seed",
                target_type="tenant",
                target_id=str(tenant_id),
                after={"created": created},
            )
    for agent_id in refreshed:
        await resolver.invalidate(tenant_id, agent_id)  # serve the new version at once
    specs = [spec for _agent_id, spec in agent_specs.values()]
    events = await asyncio.to_thread(_seed_events, tenant_id, specs)
    return {"tenant_id": tenant_id, "created": created, "events_written": events, "login": settings.demo_owner_email}


async def _ensure_agents(
    seeder: Principal, kb_ids: dict[str, str]
) -> tuple[dict[str, tuple[str, generator.AgentSpec]], list[str], list[uuid.UUID]]:
    """The demo agents, each serving a production version that answers from its FAQs.

    An agent seeded by an older release without knowledge gets one more version with it,
    deployed to production, so a re-run repairs an existing demo instead of leaving it mute.
    """
    tenant_id, owner_id = seeder.tenant_id, seeder.user_id
    out: dict[str, tuple[str, generator.AgentSpec]] = {}
    created: list[str] = []
    refreshed: list[uuid.UUID] = []
    async with db.session_scope() as session:
        for spec in DEMO_AGENTS:
            knowledge = [kb_ids[name] for name in AGENT_FAQS.get(spec["slug"], ()) if name in kb_ids]
            agent = await agents_repo.get_agent_by_slug(session=session, tenant_id=tenant_id, slug=spec["slug"])
            if agent is None:
                agent = await agents_repo.create_agent(
                    session=session,
                    tenant_id=tenant_id,
                    slug=spec["slug"],
                    name=spec["name"],
                    description=spec["description"],
                    brand=spec["brand"],
                    channels=spec["channels"],
                    owner_id=owner_id,
                    template=spec["template"],
                )
                for number in range(1, spec["versions"] + 1):
                    await agents_repo.create_version(
                        session=session,
                        tenant_id=tenant_id,
                        agent_id=agent.id,
                        fields=_version_fields(spec, number) | {"knowledge_base_ids": knowledge},
                    )
                row = await agents_repo.create_deployment(
                    session=session,
                    tenant_id=tenant_id,
                    agent_id=agent.id,
                    environment="production",
                    version_number=spec["versions"],
                    reason="demo seed",
                )
                await record_transition(
                    session, seeder, row, "deployment.deployed", from_version=None, to_version=row.version_number,
                    reason="demo seed",
                )  # fmt: skip
                created.append(f"agent:{spec['slug']}")
            else:
                live = await agents_repo.current_deployment(
                    session=session, tenant_id=tenant_id, agent_id=agent.id, environment="production"
                )
                serving = (
                    await agents_repo.get_version(
                        session=session, tenant_id=tenant_id, agent_id=agent.id, number=live.version_number
                    )
                    if live is not None
                    else None
                )
                has = set(serving.knowledge_base_ids or []) if serving is not None else set()
                if knowledge and not set(knowledge) <= has:
                    fields = _version_fields(spec, spec["versions"]) | {
                        "knowledge_base_ids": sorted(has | set(knowledge)),
                        "change_note": "answer from the brand FAQ",
                    }
                    version = await agents_repo.create_version(
                        session=session, tenant_id=tenant_id, agent_id=agent.id, fields=fields
                    )
                    row = await agents_repo.create_deployment(
                        session=session,
                        tenant_id=tenant_id,
                        agent_id=agent.id,
                        environment="production",
                        version_number=version.number,
                        reason="demo seed: knowledge",
                    )
                    await record_transition(
                        session, seeder, row, "deployment.deployed",
                        from_version=live.version_number if live is not None else None, to_version=version.number,
                        reason="demo seed: answer from the brand FAQ",
                    )  # fmt: skip
                    created.append(f"version:{spec['slug']}")
                    refreshed.append(agent.id)
            out[spec["slug"]] = (
                str(agent.id),
                generator.AgentSpec(str(agent.id), tuple(range(1, spec["versions"] + 1))),
            )
    return out, created, refreshed


async def _ensure_budgets(seeder: Principal, agent_ids: dict[str, str]) -> list[str]:
    """A monthly soft budget for the tenant and a daily hard one for the support agent, so the
    LLM page shows spend against limits from the first visit."""
    wanted = [
        ("tenant", None, "monthly", 500.0, False),
        ("agent", agent_ids.get("support-faq"), "daily", 5.0, True),
    ]
    have = {(b.scope, b.scope_id, b.period) for b in await budgets.list_budgets(seeder)}
    created: list[str] = []
    for scope, scope_id, period, limit_usd, hard in wanted:
        if scope_id is None and scope != "tenant":
            continue
        if (scope, scope_id, period) in have:
            continue
        await budgets.create_budget(
            seeder, scope=scope, scope_id=scope_id, period=period, limit_usd=limit_usd, hard=hard
        )
        created.append(f"budget:{scope}:{period}")
    return created


def _version_fields(spec: dict[str, Any], number: int) -> dict[str, Any]:
    brand = spec["brand"] or "our hotels"
    return {
        "system_prompt": (
            f"You are the concierge assistant of {brand}. Answer from the knowledge base, be brief and warm, "
            "and hand over to a person when the guest asks for one or is upset."
        ),
        "greeting": f"Hello! I'm the {brand} assistant. How can I help with your stay?",
        "model_policy": {"quality_tier": "standard" if number == 1 else "high", "max_cost_per_conversation": 0.05},
        "temperature": 0.2,
        "guardrails": {"pii_masking": True, "blocked_topics": ["politics", "medical advice"]},
        "handoff_rules": {"on_request": True, "min_confidence": 0.35},
        "change_note": "initial version" if number == 1 else "stronger model tier for complex requests",
    }


def _seed_events(tenant_id: uuid.UUID, agents: list[generator.AgentSpec]) -> int:
    """DEMO_DAYS of traffic, once: skipped when the demo tenant already has recent events."""
    apply_schema()
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=DEMO_DAYS)
    if platform_queries.tenant_events_since(str(tenant_id), since) > 0:
        return 0
    spec = generator.GeneratorSpec(
        tenants=[generator.TenantSpec(str(tenant_id), tuple(agents))],
        events=DEMO_EVENTS,
        end=dt.datetime.now(dt.UTC),
        days=DEMO_DAYS,
    )
    written = 0
    for batch in generator.generate_batches(spec):
        generator.write_batch(batch)
        written += batch.num_rows
    clickhouse.close()
    return written
