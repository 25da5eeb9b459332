"""Outbound webhooks: bus events fanned out by the hub's real background loops to the tenant's
subscriptions only, signed as the README tells subscribers to check; a subscription disabled
after repeated failures and revived by a manual redelivery; alert state changes delivered with
a link to the chart; an event enqueued twice delivered once."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from core import db
from models.repositories import alerts as alerts_repo
from tests.api_client import bearer
from tests.chat_setup import API, bus_events, ship
from tests.factories import create_tenant
from tools.fake_providers import server as fake
from va_app.domain.alerts import notify
from va_app.domain.integrations import delivery, outbound
from va_app.runtime import integration_hub

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def readme_verify(secret: str, body: bytes, header: str, tolerance_s: int = 300) -> bool:
    """The subscriber-side check exactly as the README shows it (not the hub's own helper)."""
    parts = dict(p.split("=", 1) for p in header.split(","))  # X-VA-Signature: t=...,v1=...
    if abs(time.time() - int(parts["t"])) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


@pytest.fixture
async def hub() -> AsyncIterator[None]:
    """The hub's background loops as the web process runs them (inbound worker, bus fan-out,
    delivery poller, alert notifier registration)."""
    delivery.reset_breakers()
    await integration_hub.start()
    await asyncio.sleep(0.3)  # consumers joined their groups
    yield
    await integration_hub.stop()


async def _subscribe(api: httpx.AsyncClient, key: str, url: str, types: list[str]) -> dict:
    resp = await api.post(f"{API}/webhooks/subscriptions", json={"url": url, "event_types": types}, headers=bearer(key))
    assert resp.status_code == 201, resp.text
    return resp.json()


# --- fan-out from the bus ------------------------------------------------------------------


async def test_bus_events_fan_out_to_the_tenants_subscriptions_only_signed(
    api: httpx.AsyncClient, providers: fake.FakeProviders, hub: None
) -> None:
    a, b = await create_tenant(), await create_tenant()
    tag = uuid.uuid4().hex[:6]
    deploys = await _subscribe(api, a.owner_key, f"{providers.base}/hooks/a-{tag}", ["agent.deployment.deployed"])
    family = await _subscribe(api, a.owner_key, f"{providers.base}/hooks/af-{tag}", ["agent"])
    convo = await _subscribe(api, a.owner_key, f"{providers.base}/hooks/ac-{tag}", ["conversation"])
    stranger = await _subscribe(api, b.owner_key, f"{providers.base}/hooks/b-{tag}", ["*"])
    assert convo["secret"] and stranger["secret"]

    # a real deployment through the API: the agents module publishes it on agent.events
    created = await api.post(
        f"{API}/agents/from-template",
        json={"template_id": "hotel-concierge", "slug": f"fan-{tag}",
              "variables": {"property_name": "Fan Hotel", "brand_name": "Fan"}},
        headers=bearer(a.owner_key),
    )  # fmt: skip
    assert created.status_code == 201, created.text
    agent_id = created.json()["agent"]["id"]
    await ship(api, bearer(a.owner_key), f"fan-{tag}", 1)

    got = await providers.wait_for(f"hook.a-{tag}", 3, timeout=30)  # development, staging, production
    await asyncio.sleep(1.0)  # anything extra (or misrouted) would arrive by now
    got = providers.of(f"hook.a-{tag}")
    assert len(got) == 3, [c.json() for c in got]
    envs = set()
    for call in got:
        assert readme_verify(deploys["secret"], call.body, call.headers["x-va-signature"])
        assert not readme_verify(family["secret"], call.body, call.headers["x-va-signature"])
        body = call.json()
        assert body["type"] == "agent.deployment.deployed" == call.headers["x-va-event-type"]
        assert body["tenant_id"] == str(a.tenant_id) and body["data"]["agent_id"] == agent_id
        assert call.headers["x-va-event-id"] == body["id"]
        envs.add(body["data"]["environment"])
    assert envs == {"development", "staging", "production"}

    fam = await providers.wait_for(f"hook.af-{tag}", 4, timeout=15)  # + version.created from the template
    assert {c.json()["type"] for c in fam} == {"agent.version.created", "agent.deployment.deployed"}
    assert all(readme_verify(family["secret"], c.body, c.headers["x-va-signature"]) for c in fam)
    assert providers.of(f"hook.ac-{tag}") == []  # subscribed to another family
    assert providers.of(f"hook.b-{tag}") == []  # another tenant's "*" never sees tenant a's events

    # an event published straight on the bus takes the same path (and stays in its tenant)
    from va_app.domain.agents import notify as agent_notify

    spec = agent_notify.AgentEventSpec(agent_id, "deployment.deployed", 1, "production", {"note": "direct"})
    await agent_notify.publish(b.tenant_id, [spec])
    mine = await providers.wait_for(f"hook.b-{tag}", 1, timeout=15)
    assert mine[0].json()["tenant_id"] == str(b.tenant_id) and mine[0].json()["data"]["details"]["note"] == "direct"
    assert readme_verify(stranger["secret"], mine[0].body, mine[0].headers["x-va-signature"])
    await asyncio.sleep(0.5)
    assert len(providers.of(f"hook.a-{tag}")) == 3

    rows = (await api.get(f"{API}/webhooks/deliveries", headers=bearer(a.owner_key))).json()["data"]
    assert all(r["status"] == "delivered" for r in rows) and len(rows) == 3 + 4
    assert all(r["subscription_id"] != stranger["id"] for r in rows)


# --- disabled after repeated failures, then redelivered by hand --------------------------


async def test_subscription_disabled_after_repeated_failures_and_manual_redelivery(
    api: httpx.AsyncClient, providers: fake.FakeProviders
) -> None:
    tenant, other = await create_tenant(), await create_tenant()
    h = bearer(tenant.owner_key)
    name = f"flaky-{uuid.uuid4().hex[:6]}"
    sub = await _subscribe(api, tenant.owner_key, f"{providers.base}/hooks/{name}", ["agent"])
    providers.down.add(name)
    policy = delivery.policy_for_tests(
        disable_after=3, breaker_threshold=1000, base_backoff_s=0.01, max_backoff_s=0.02, tick_s=0.05
    )
    delivery.reset_breakers()
    await outbound.enqueue(tenant.tenant_id, "agent.version.created", f"ev-{name}", {"n": 1})

    def state() -> dict:
        return next(s for s in listed if s["id"] == sub["id"])

    deadline = time.monotonic() + 15
    while True:
        await delivery.tick(policy)
        listed = (await api.get(f"{API}/webhooks/subscriptions", headers=h)).json()["data"]
        if not state()["is_active"] or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.03)
    assert not state()["is_active"], state()
    assert state()["consecutive_failures"] == 3 and "3 consecutive failures (HTTP 503)" in state()["disabled_reason"]
    assert len(providers.of(f"hook-refused.{name}")) == 3

    alerts = [
        e for e in await bus_events("analytics.metrics", tenant.tenant_id)
        if e["payload"]["dimensions"].get("kind") == "webhook.subscription_disabled"
    ]  # fmt: skip
    assert len(alerts) == 1
    dims = alerts[0]["payload"]["dimensions"]
    assert alerts[0]["payload"]["name"] == "alert" and dims["state"] == "firing"
    assert dims["subscription_id"] == sub["id"] and "503" in dims["error"]

    # disabled: no more attempts, and new events no longer queue for it
    for _ in range(5):
        await delivery.tick(policy)
        await asyncio.sleep(0.03)
    assert len(providers.of(f"hook-refused.{name}")) == 3
    assert await outbound.enqueue(tenant.tenant_id, "agent.version.created", f"ev2-{name}", {"n": 2}) == 0
    rows = (await api.get(f"{API}/webhooks/deliveries", headers=h)).json()["data"]
    assert len(rows) == 1 and rows[0]["status"] == "retrying" and rows[0]["attempts"] == 3
    assert rows[0]["response_status"] == 503

    # receiver back: a manual redelivery sends it (and brings the subscription back)
    providers.down.discard(name)
    url = f"{API}/webhooks/deliveries/{rows[0]['id']}/redeliver"
    assert (await api.post(url, headers=bearer(other.owner_key))).status_code == 404  # another tenant's
    again = await api.post(url, headers=h)
    assert again.status_code == 200 and again.json()["status"] == "pending", again.text
    deadline = time.monotonic() + 10
    while not providers.of(f"hook.{name}") and time.monotonic() < deadline:
        await delivery.tick(policy)
        await asyncio.sleep(0.03)
    got = providers.of(f"hook.{name}")
    assert len(got) == 1 and got[0].headers["x-va-delivery-id"] == rows[0]["id"]
    assert got[0].json()["data"] == {"n": 1}
    assert readme_verify(sub["secret"], got[0].body, got[0].headers["x-va-signature"])
    row = (await api.get(f"{API}/webhooks/deliveries", headers=h)).json()["data"][0]
    assert row["status"] == "delivered" and row["response_status"] == 200 and row["attempts"] == 4
    now = next(s for s in (await api.get(f"{API}/webhooks/subscriptions", headers=h)).json()["data"])
    assert now["is_active"] and now["consecutive_failures"] == 0 and now["disabled_reason"] is None
    assert await outbound.enqueue(tenant.tenant_id, "agent.version.created", f"ev3-{name}", {"n": 3}) == 1


# --- the alert notifier -------------------------------------------------------------------


async def test_alert_state_change_is_delivered_with_a_link_to_the_chart(
    api: httpx.AsyncClient, providers: fake.FakeProviders, hub: None
) -> None:
    tenant, other = await create_tenant(), await create_tenant()
    tag = uuid.uuid4().hex[:6]
    sub = await _subscribe(api, tenant.owner_key, f"{providers.base}/hooks/alert-{tag}", ["alert"])
    await _subscribe(api, other.owner_key, f"{providers.base}/hooks/alert-other-{tag}", ["alert", "*"])
    end = dt.datetime.now(dt.UTC).replace(microsecond=0)
    link = notify.chart_link("agent-z", "error_rate", end - dt.timedelta(hours=1), end)
    async with db.session_scope() as session:
        alert = await alerts_repo.create_alert(
            session=session,
            tenant_id=tenant.tenant_id,
            fields={
                "fingerprint": f"manual:{uuid.uuid4()}",
                "group_key": f"{tenant.tenant_id}:agent-z",
                "agent_id": "agent-z",
                "metric": "error_rate",
                "kind": "threshold",
                "severity": "critical",
                "title": "error rate above 1 %",
                "value": 0.2,
                "threshold": 0.01,
                "details": {},
                "link": link,
            },
        )
        alert_id = str(alert.id)

    # the alerts module notifies every registered notifier on a state change; the hub registered its own
    acked = await api.post(f"{API}/alerts/{alert_id}/ack", headers=bearer(tenant.owner_key))
    assert acked.status_code == 200, acked.text
    resolved = await api.post(f"{API}/alerts/{alert_id}/resolve", headers=bearer(tenant.owner_key))
    assert resolved.status_code == 200, resolved.text

    got = await providers.wait_for(f"hook.alert-{tag}", 2, timeout=20)
    by_type = {c.json()["type"]: c for c in got}
    assert set(by_type) == {"alert.acknowledged", "alert.resolved"}
    for call in got:
        assert readme_verify(sub["secret"], call.body, call.headers["x-va-signature"])
    data = by_type["alert.acknowledged"].json()["data"]
    assert data["alert_id"] == alert_id and data["severity"] == "critical" and data["metric"] == "error_rate"
    assert data["link"] == link and link.startswith("/analytics?agent=agent-z&metric=error_rate&from=")
    assert data["state"] == "acknowledged" and data["actor"]
    assert by_type["alert.resolved"].json()["data"]["state"] == "resolved"
    await asyncio.sleep(0.5)
    assert providers.of(f"hook.alert-other-{tag}") == []


async def test_same_event_enqueued_twice_is_delivered_once() -> None:
    """The bus may hand the fan-out a batch twice; the subscriber still gets the event once."""
    from core import db
    from models.repositories import integrations as repo
    from tests.factories import create_tenant
    from va_app.domain.integrations import outbound

    tenant = await create_tenant()
    created = await outbound.create_subscription(tenant.owner(), url="http://127.0.0.1:9/hook", event_types=["agent"])
    sub_id = created.id
    outbound.forget_subscriptions(tenant.tenant_id)
    first = await outbound.enqueue(tenant.tenant_id, "agent.deployment.deployed", "evt-dup-1", {"x": 1})
    second = await outbound.enqueue(tenant.tenant_id, "agent.deployment.deployed", "evt-dup-1", {"x": 1})
    assert (first, second) == (1, 0)
    async with db.session_scope() as session:
        rows = await repo.list_deliveries(session=session, tenant_id=tenant.tenant_id)
    assert sum(1 for r in rows if str(r.subscription_id) == str(sub_id) and r.event_id == "evt-dup-1") == 1
