"""The demo seed creates a usable tenant once and is safe to run again."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import db
from core.config import get_settings
from models import Agent, AgentVersion, AuditLog, Deployment
from models.repositories import tenants as tenants_repo
from va_app.auth.passwords import verify_password
from va_app.demo.seed import DEMO_AGENTS, DEMO_EVENTS, seed_demo

pytestmark = [pytest.mark.postgres, pytest.mark.clickhouse]


async def test_seed_is_complete_and_idempotent() -> None:
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
        audits = (
            await session.execute(
                select(AuditLog).where(AuditLog.tenant_id == tenant.id, AuditLog.action == "demo.seed")
            )
        ).scalars()
        assert len(list(audits)) == 1
