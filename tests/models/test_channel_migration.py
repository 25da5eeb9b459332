"""Migration 0010: channel values stored in PostgreSQL use the one vocabulary."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text

from core import db
from models.migrate import downgrade, upgrade
from models.repositories import agents as agents_repo
from models.repositories import reports as reports_repo
from tests.factories import create_tenant

pytestmark = pytest.mark.postgres


async def test_connector_names_stored_as_channels_become_channels() -> None:
    tenant = await create_tenant()
    await asyncio.to_thread(downgrade, "0009_delivery_dedup")
    async with db.session_scope() as session:
        agent = await agents_repo.create_agent(
            session=session,
            tenant_id=tenant.tenant_id,
            slug=f"a-{uuid.uuid4().hex[:6]}",
            name="Front desk",
            channels=["web_widget", "twilio", "web", "email", "sms"],
        )
        clean = await agents_repo.create_agent(
            session=session, tenant_id=tenant.tenant_id, slug=f"b-{uuid.uuid4().hex[:6]}", name="B", channels=["web"]
        )
        reports = {}
        for channel in ("twilio", "web_widget", "whatsapp"):
            definition = {"title": channel, "filters": {"channel": channel, "agent": "front-desk"}, "range": "7d"}
            report = await reports_repo.create_report(
                session=session, tenant_id=tenant.tenant_id, fields={"name": channel, "definition": definition}
            )
            reports[channel] = report.id
        no_filter = await reports_repo.create_report(
            session=session, tenant_id=tenant.tenant_id, fields={"name": "all", "definition": {"range": "24h"}}
        )
        ids = (agent.id, clean.id)

    await asyncio.to_thread(upgrade, "head")
    await asyncio.to_thread(upgrade, "head")  # nothing left to do

    async with db.session_scope() as session:
        channels: dict[uuid.UUID, list[str]] = dict(
            (
                await session.execute(
                    text("SELECT id, channels FROM agents WHERE id IN (:a, :b)"), {"a": ids[0], "b": ids[1]}
                )
            )
            .tuples()
            .all()
        )
        assert channels == {ids[0]: ["web", "sms", "email"], ids[1]: ["web"]}  # order kept, duplicates merged
        for old, new in (("twilio", "sms"), ("web_widget", "web"), ("whatsapp", "whatsapp")):
            found = await reports_repo.get_report(session=session, tenant_id=tenant.tenant_id, report_id=reports[old])
            assert found is not None
            assert found.definition["filters"] == {"channel": new, "agent": "front-desk"}
            assert found.definition["title"] == old
        untouched = await reports_repo.get_report(session=session, tenant_id=tenant.tenant_id, report_id=no_filter.id)
        assert untouched is not None and untouched.definition == {"range": "24h"}
