"""The demo seed creates a usable tenant once and is safe to run again: its agents answer real
questions from their FAQs with no provider configured, and a re-run repairs a demo whose
production versions lost their knowledge."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from core import db
from core.config import get_settings
from models import Agent, AgentVersion, AuditLog, Deployment, KnowledgeBase
from models.agents import DeploymentEvent
from models.repositories import agents as agents_repo
from models.repositories import tenants as tenants_repo
from tests.api_client import bearer
from va_app.admin.demo.knowledge import FAQS
from va_app.admin.demo.seed import DEMO_AGENTS, DEMO_EVENTS, seed_demo
from va_app.domain.identity.api_keys import create_api_key
from va_app.domain.identity.passwords import verify_password
from va_app.domain.identity.principal import Principal
from va_app.domain.llm import budgets

pytestmark = [pytest.mark.postgres, pytest.mark.clickhouse, pytest.mark.redis]


async def test_seed_is_complete_and_idempotent(api: httpx.AsyncClient) -> None:
    first = await seed_demo()
    second = await seed_demo()
    assert "tenant" in first["created"]
    assert first["events_written"] == DEMO_EVENTS
    assert second["created"] == [] and second["events_written"] == 0
    settings = get_settings()
    async with db.session_scope() as session:
        tenant = await tenants_repo.get_tenant_by_slug(session=session, slug=settings.demo_tenant_slug)
        assert tenant is not None
        owner = await tenants_repo.get_user_by_email(session=session, email=settings.demo_owner_email)
        assert owner is not None and owner.password_hash
        assert verify_password(owner.password_hash, settings.demo_owner_password.get_secret_value())
        membership = await tenants_repo.get_membership(session=session, tenant_id=tenant.id, user_id=owner.id)
        assert membership is not None and membership.role == "owner"

        def count(model: type) -> object:
            return select(func.count()).select_from(model).where(model.tenant_id == tenant.id)

        assert (await session.execute(count(Agent))).scalar_one() == len(DEMO_AGENTS)
        versions = sum(a["versions"] for a in DEMO_AGENTS)
        assert (await session.execute(count(AgentVersion))).scalar_one() == versions
        assert (await session.execute(count(Deployment))).scalar_one() == len(DEMO_AGENTS)
        assert (await session.execute(count(KnowledgeBase))).scalar_one() == len(FAQS)
        # the rollout timeline shows how production got its version
        assert (await session.execute(count(DeploymentEvent))).scalar_one() == len(DEMO_AGENTS)
        audits = (
            await session.execute(
                select(AuditLog).where(AuditLog.tenant_id == tenant.id, AuditLog.action == "demo.seed")
            )
        ).scalars()
        assert len(list(audits)) == 1

    owner = Principal(tenant_id=tenant.id, role="owner", actor_type="cli", actor_id="test", label="test")
    assert len(await budgets.list_budgets(owner)) == 2
    key = (await create_api_key(owner, name="demo test", role="developer")).secret

    async def ask(agent: str, question: str) -> str:
        resp = await api.post(f"/api/v1/agents/{agent}/chat", json={"message": question}, headers=bearer(key))
        assert resp.status_code == 200, resp.text
        assert resp.json()["model"] == "local"  # no provider keys: answered from the knowledge base
        return str(resp.json()["reply"])

    assert "11:00" in await ask("aurora-concierge", "What time is check-out?")
    assert "12:00" in await ask("lumen-concierge", "When do I have to check out?")
    assert "9:00-21:00" in await ask("lumen-concierge", "What are the spa opening hours?")
    assert "5 business days" in await ask("support-faq", "I was charged twice on my card")

    # A demo seeded before it had knowledge: production serves a version without it. A re-run
    # publishes a version with the FAQs and deploys it.
    async with db.session_scope() as session:
        agent = await agents_repo.get_agent_by_slug(session=session, tenant_id=tenant.id, slug="support-faq")
        assert agent is not None
        bare = await agents_repo.create_version(
            session=session,
            tenant_id=tenant.id,
            agent_id=agent.id,
            fields={"system_prompt": "old demo", "knowledge_base_ids": [], "change_note": "older seed"},
        )
        await agents_repo.create_deployment(
            session=session,
            tenant_id=tenant.id,
            agent_id=agent.id,
            environment="production",
            version_number=bare.number,
        )
    third = await seed_demo()
    assert third["created"] == ["version:support-faq"] and third["events_written"] == 0
    assert "5 business days" in await ask("support-faq", "I was charged twice on my card")
