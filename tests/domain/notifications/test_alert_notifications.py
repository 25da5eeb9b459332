"""Alerts and scheduled reports out through the integration hub, against local fakes on
loopback: the fake Slack API (``tools/fake_providers``), a real SMTP server (aiosmtpd) and a
webhook receiver. Slack gets ``chat.postMessage`` with severity, metric, agent and the chart
link; e-mail goes to the rule's and the tenant's recipients; a scheduled report arrives as an
e-mail attachment and as a signed webhook carrying the file."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import email
import email.policy
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from core import db
from core.config import get_settings
from core.services import free_port
from models.repositories import alerts as alerts_repo
from tests.api_client import bearer
from tests.factories import create_tenant
from tools.fake_providers import server as fake
from va_app.domain.alerts import notify, service
from va_app.domain.integrations import delivery, outbound
from va_app.domain.integrations.signing import verify_va_signature
from va_app.domain.notifications import alert_notifiers as channels
from va_app.domain.notifications import email as smtp_email
from va_app.domain.notifications import report_delivery as report_channels
from va_app.domain.reports import delivery as report_delivery

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]
API = "/api/v1"


@dataclass
class Inbox:
    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd hook name
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 OK"

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[list[str], EmailMessage]]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.messages


@pytest.fixture(scope="module")
def providers() -> Iterator[fake.FakeProviders]:
    fp = fake.FakeProviders().start()
    yield fp
    fp.stop()


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("EMAIL__SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("EMAIL__SMTP_PORT", str(port))
    monkeypatch.setenv("EMAIL__FROM", "VirtualAgent Alerts <alerts@va.test>")
    monkeypatch.setenv("ALERTS__CONSOLE_URL", "https://console.va.test")
    get_settings.cache_clear()
    try:
        yield inbox
    finally:
        controller.stop()
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.fixture
def hub_notifiers() -> Iterator[None]:
    undo = [
        notify.register_notifier(outbound.alert_notifier),
        notify.register_notifier(channels.slack_notifier),
        notify.register_notifier(channels.email_notifier),
    ]
    yield
    for fn in undo:
        fn()


async def _connect(api: httpx.AsyncClient, key: str, kind: str, credentials: dict, config: dict) -> httpx.Response:
    body = {"kind": kind, "name": f"{kind} test", "credentials": credentials, "config": config}
    return await api.post(f"{API}/integrations/connect", json=body, headers=bearer(key))


async def _firing_alert(tenant_id: uuid.UUID, rule_id: str, severity: str, agent: str) -> notify.AlertNotification:
    now = dt.datetime.now(dt.UTC)
    async with db.session_scope() as session:
        alert = await alerts_repo.create_alert(
            session=session,
            tenant_id=tenant_id,
            fields={
                "rule_id": uuid.UUID(rule_id),
                "fingerprint": f"{rule_id}:{agent}:error_rate",
                "group_key": f"{tenant_id}:{agent}",
                "agent_id": agent,
                "metric": "error_rate",
                "kind": "threshold",
                "severity": severity,
                "state": "firing",
                "title": f"error rate above 10 %: 42.00% on agent {agent}",
                "summary": "error_rate was 42.00% over the last 5 min (50 turns); rule: error_rate > 10.00%",
                "value": 0.42,
                "threshold": 0.1,
                "details": {},
                "link": notify.chart_link(agent, "error_rate", now - dt.timedelta(hours=6), now),
                "started_at": now,
                "last_seen_at": now,
            },
        )
        return service.notification(alert, "firing")


async def _deliver_webhooks(providers: fake.FakeProviders, name: str, count: int) -> list[fake.Call]:
    policy = delivery.policy_for_tests(tick_s=0.05)
    deadline = time.monotonic() + 15
    while len(providers.of(f"hook.{name}")) < count and time.monotonic() < deadline:
        await delivery.tick(policy)
        await asyncio.sleep(0.05)
    return providers.of(f"hook.{name}")


async def test_alert_goes_to_slack_email_and_webhook(
    api: httpx.AsyncClient, providers: fake.FakeProviders, smtp: Inbox, hub_notifiers: None
) -> None:
    tenant = await create_tenant()
    key = tenant.owner_key
    slack = await _connect(
        api, key, "slack", {"bot_token": fake.SLACK_TOKEN, "signing_secret": "s"},
        {"agent": "concierge", "api_base": f"{providers.base}/slack/api"},
    )  # fmt: skip
    assert slack.status_code == 201, slack.text
    bad = await _connect(api, key, "notifications", {}, {"email_to": ["not an address"]})
    assert bad.status_code in (400, 422) and "email_to" in bad.text
    routing = await _connect(
        api, key, "notifications", {},
        {"slack_channel": "#ops-alerts", "email_to": ["oncall@example.com"], "min_severity": "warning"},
    )  # fmt: skip
    assert routing.status_code == 201, routing.text
    name = f"alerts{uuid.uuid4().hex[:6]}"
    sub = await api.post(
        f"{API}/webhooks/subscriptions",
        json={"url": f"{providers.base}/hooks/{name}", "event_types": ["alert"]},
        headers=bearer(key),
    )
    assert sub.status_code == 201, sub.text
    rule = await api.post(
        f"{API}/alerts/rules",
        json={"kind": "threshold", "metric": "error_rate", "op": ">", "value": 0.1, "severity": "critical"},
        headers=bearer(key),
    )
    assert rule.status_code == 201, rule.text
    async with db.session_scope() as session:  # per-rule recipients (not in the API schema yet)
        stored = await alerts_repo.get_rule(
            session=session, tenant_id=tenant.tenant_id, rule_id=uuid.UUID(rule.json()["id"])
        )
        assert stored is not None
        stored.params = {**stored.params, "email_to": ["team-lead@example.com"]}

    slack_before = len(providers.of("slack"))
    note = await _firing_alert(tenant.tenant_id, rule.json()["id"], "critical", "billing")
    await notify.deliver([note])

    posted = [c.json() for c in (await providers.wait_for("slack", slack_before + 1))[slack_before:]]
    assert len(posted) == 1
    message = posted[0]
    assert message["channel"] == "#ops-alerts"
    assert "CRITICAL" in message["text"] and "error_rate" in message["text"] and "billing" in message["text"]
    link = "https://console.va.test/analytics?agent=billing&metric=error_rate&from="
    assert link in message["text"] and any(link in str(b) for b in message["blocks"])

    mails = await smtp.wait_for(1)
    assert len(mails) == 1
    rcpt, mail = mails[0]
    assert sorted(rcpt) == ["oncall@example.com", "team-lead@example.com"]
    assert mail["Subject"].strip().startswith("[CRITICAL] firing: error rate above 10 %")
    assert mail["From"] == "VirtualAgent Alerts <alerts@va.test>"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Metric:    error_rate" in text and "Agent:     billing" in text and link in text

    hooks = await _deliver_webhooks(providers, name, 1)
    assert [c.json()["type"] for c in hooks] == ["alert.firing"]
    assert hooks[0].json()["data"]["severity"] == "critical" and hooks[0].json()["data"]["agent_id"] == "billing"
    assert verify_va_signature(sub.json()["secret"], hooks[0].body, hooks[0].headers["x-va-signature"])

    # acknowledging through the API notifies every channel again
    acked = await api.post(f"{API}/alerts/{note.alert_id}/ack", headers=bearer(key))
    assert acked.status_code == 200
    await providers.wait_for("slack", slack_before + 2)
    assert "ACKNOWLEDGED" in providers.of("slack")[-1].json()["text"]
    assert len(await smtp.wait_for(2)) == 2 and smtp.messages[1][1]["Subject"].strip().startswith(
        "[CRITICAL] acknowledged"
    )
    assert [c.json()["type"] for c in await _deliver_webhooks(providers, name, 2)] == [
        "alert.firing",
        "alert.acknowledged",
    ]

    # below the tenant's min_severity: neither Slack nor the tenant's e-mail (the rule's own recipients still get it)
    info_rule = await api.post(
        f"{API}/alerts/rules",
        json={"kind": "threshold", "metric": "latency_p99", "op": ">", "value": 9000, "severity": "info"},
        headers=bearer(key),
    )
    await notify.deliver([await _firing_alert(tenant.tenant_id, info_rule.json()["id"], "info", "billing")])
    await asyncio.sleep(0.5)
    assert len(providers.of("slack")) == slack_before + 2 and len(smtp.messages) == 2

    status = {s["kind"]: s for s in (await api.get(f"{API}/integrations/sync", headers=bearer(key))).json()["data"]}
    assert status["slack"]["events_received"] >= 2 and not status["slack"]["last_error"]


async def test_email_is_off_without_smtp(api: httpx.AsyncClient, hub_notifiers: None) -> None:
    get_settings.cache_clear()
    assert not get_settings().email.enabled
    tenant = await create_tenant()
    refused = await _connect(api, tenant.owner_key, "notifications", {}, {"email_to": ["a@example.com"]})
    assert refused.status_code in (400, 422) and "EMAIL__SMTP_HOST" in refused.text
    assert not await smtp_email.send_email(["a@example.com"], "x", "y")


async def test_scheduled_report_by_email_attachment_and_signed_webhook(
    api: httpx.AsyncClient, providers: fake.FakeProviders, smtp: Inbox
) -> None:
    from va_app.domain.reports import scheduler

    tenant = await create_tenant()
    key = tenant.owner_key
    routing = await _connect(api, key, "notifications", {}, {"email_to": ["reports@example.com"], "reports": True})
    assert routing.status_code == 201, routing.text
    name = f"reports{uuid.uuid4().hex[:6]}"
    sub = await api.post(
        f"{API}/webhooks/subscriptions", json={"url": f"{providers.base}/hooks/{name}", "event_types": ["*"]},
        headers=bearer(key),
    )  # fmt: skip
    assert sub.status_code == 201, sub.text
    body = {"name": "Daily KPIs", "format": "csv", "schedule": "daily", "definition": {"metrics": ["events"]}}
    created = await api.post(f"{API}/analytics/reports/saved", json=body, headers=bearer(key))
    assert created.status_code == 201, created.text
    report = created.json()

    undo = report_delivery.register_delivery(report_channels.hub_delivery)
    try:
        due = dt.datetime.fromisoformat(report["next_run_at"]) + dt.timedelta(seconds=1)
        assert await scheduler.run_due(due) >= 1
    finally:
        undo()

    mails = [(r, m) for r, m in await smtp.wait_for(1) if "reports@example.com" in r]
    assert len(mails) == 1
    mail = mails[0][1]
    assert mail["Subject"] == "Report: Daily KPIs (daily)"
    attachments = list(mail.iter_attachments())
    assert len(attachments) == 1 and attachments[0].get_filename().endswith(".csv")
    csv_bytes = attachments[0].get_payload(decode=True)
    assert csv_bytes and b"events" in csv_bytes.splitlines()[0]

    hooks = [c for c in await _deliver_webhooks(providers, name, 1) if c.json()["type"] == "report.delivered"]
    assert len(hooks) == 1
    data = hooks[0].json()["data"]
    assert data["report_id"] == report["id"] and data["filename"] == attachments[0].get_filename()
    assert base64.b64decode(data["content_base64"]) == csv_bytes and data["size"] == len(csv_bytes)
    assert verify_va_signature(sub.json()["secret"], hooks[0].body, hooks[0].headers["x-va-signature"])
    after = (await api.get(f"{API}/analytics/reports/saved", headers=bearer(key))).json()["data"][0]
    assert after["last_status"].startswith("delivered")


async def test_report_without_recipients_still_lands_on_disk(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from va_app.domain.reports.delivery import ReportDelivery
    from va_app.domain.reports.render import RenderedReport

    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        tenant = await create_tenant()
        item = ReportDelivery(
            str(tenant.tenant_id), str(uuid.uuid4()), "Weekly", "weekly", RenderedReport("w.csv", "text/csv", b"a\n1\n")
        )
        await report_channels.hub_delivery(item)
        assert (tmp_path / "reports" / str(tenant.tenant_id) / "w.csv").read_bytes() == b"a\n1\n"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
