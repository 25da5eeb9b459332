"""Seed the demo tenant: a multi-brand hospitality group with agents, versions, deployments
and a week of conversation traffic. Safe to run again: it fills in only what is missing."""

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
from va_app.auth.passwords import hash_password

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
DEMO_EVENTS = 120_000
DEMO_DAYS = 7


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
        agent_specs: list[generator.AgentSpec] = []
        for spec in DEMO_AGENTS:
            agent = await agents_repo.get_agent_by_slug(session=session, tenant_id=tenant.id, slug=spec["slug"])
            if agent is None:
                agent = await agents_repo.create_agent(
                    session=session,
                    tenant_id=tenant.id,
                    slug=spec["slug"],
                    name=spec["name"],
                    description=spec["description"],
                    brand=spec["brand"],
                    channels=spec["channels"],
                    owner_id=owner.id,
                    template=spec["template"],
                )
                for number in range(1, spec["versions"] + 1):
                    await agents_repo.create_version(
                        session=session,
                        tenant_id=tenant.id,
                        agent_id=agent.id,
                        fields=_version_fields(spec, number),
                    )
                await agents_repo.create_deployment(
                    session=session,
                    tenant_id=tenant.id,
                    agent_id=agent.id,
                    environment="production",
                    version_number=spec["versions"],
                    reason="demo seed",
                )
                created.append(f"agent:{spec['slug']}")
            agent_specs.append(generator.AgentSpec(str(agent.id), tuple(range(1, spec["versions"] + 1))))
        if created:
            await audit_repo.record(
                session=session,
                tenant_id=tenant.id,
                actor_type="cli",
                actor_id=None,
                actor_label="va demo seed",
                action="demo.seed",
                target_type="tenant",
                target_id=str(tenant.id),
                after={"created": created},
            )
        tenant_id = tenant.id
    events = await asyncio.to_thread(_seed_events, tenant_id, agent_specs)
    return {"tenant_id": tenant_id, "created": created, "events_written": events, "login": settings.demo_owner_email}


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
    """A week of traffic, once: skipped when the demo tenant already has recent events."""
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
