"""Integration hub, the parts ``test_integrations.py`` does not reach: the web chat widget
(script, origin check, key scope, rate limit), outbound webhooks fanned out from the bus by the
hub's real background loops, a subscription disabled after repeated failures and revived by a
manual redelivery, the alert notifier, and one inbound webhook over real HTTP to the app served
by uvicorn."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from core import db
from core.services import free_port, port_open
from models.repositories import alerts as alerts_repo
from tests.api_client import bearer
from tests.chat_setup import API, bus_events, hotel_agent, ship
from tests.factories import create_tenant
from tools.fake_providers import senders
from tools.fake_providers import server as fake
from va_app.domain.alerts import notify
from va_app.domain.integrations import delivery, outbound, widget, worker
from va_app.runtime import integration_hub

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
ROOT = Path(__file__).resolve().parents[3]
SHOP = "https://shop.example.com"


def readme_verify(secret: str, body: bytes, header: str, tolerance_s: int = 300) -> bool:
    """The subscriber-side check exactly as the README shows it (not the hub's own helper)."""
    parts = dict(p.split("=", 1) for p in header.split(","))  # X-VA-Signature: t=...,v1=...
    if abs(time.time() - int(parts["t"])) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


@pytest.fixture(scope="module")
def providers() -> Iterator[fake.FakeProviders]:
    fp = fake.FakeProviders().start()
    yield fp
    fp.stop()


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


async def _widget(api: httpx.AsyncClient, key: str, agent: str, origins: list[str]) -> dict:
    body = {
        "kind": "web_widget",
        "name": "site",
        "credentials": {},
        "config": {"agent": agent, "allowed_origins": origins},
    }
    resp = await api.post(f"{API}/integrations/connect", json=body, headers=bearer(key))
    assert resp.status_code == 201, resp.text
    assert resp.json()["widget_key"].startswith("vaw_")
    return resp.json()


def _widget_post(key: str | None, origin: str | None, message: str, session: str = "browser-session-1") -> dict:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["X-Widget-Key"] = key
    if origin is not None:
        headers["Origin"] = origin
    return {"json": {"message": message, "session_id": session}, "headers": headers}


# --- 1. web chat widget ---------------------------------------------------------------------


async def test_widget_script_and_messages_from_an_allowed_origin_reach_the_agent(api: httpx.AsyncClient) -> None:
    script = await api.get(f"{API}/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("application/javascript")
    assert "/api/v1/widget/messages" in script.text and "X-Widget-Key" in script.text
    assert 'getAttribute("data-key")' in script.text

    hotel = await hotel_agent(api)
    wid = await _widget(api, hotel.tenant.owner_key, hotel.slug, [SHOP])
    key = wid["widget_key"]
    assert "widget_nonce" not in wid["config"]

    pre = await api.options(
        f"{API}/widget/messages",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-widget-key",
        },
    )
    assert pre.status_code == 204 and "X-Widget-Key" in pre.headers["access-control-allow-headers"]

    first = await api.post(f"{API}/widget/messages", **_widget_post(key, SHOP, "Is breakfast included?"))
    assert first.status_code == 200, first.text
    assert "6:30" in first.json()["reply"]
    assert first.headers["access-control-allow-origin"] == SHOP
    second = await api.post(f"{API}/widget/messages", **_widget_post(key, SHOP, "Do you have parking?"))
    assert second.status_code == 200 and "35 EUR" in second.json()["reply"]
    assert second.json()["conversation_id"] == first.json()["conversation_id"]  # same browser session
    other = await api.post(f"{API}/widget/messages", **_widget_post(key, SHOP, "Are pets allowed?", "browser-2-xyz"))
    assert other.json()["conversation_id"] != first.json()["conversation_id"]
    assert first.json()["conversation_id"].startswith("web_widget-")


async def test_widget_rejects_bad_origin_bad_key_over_limit_and_cannot_reach_other_routes(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    hotel = await hotel_agent(api)
    wid = await _widget(api, hotel.tenant.owner_key, hotel.slug, [SHOP, "http://localhost:8080"])
    key, url = wid["widget_key"], f"{API}/widget/messages"

    for origin in ("https://evil.example.com", None, "https://shop.example.com.evil.net", SHOP + "/"):
        resp = await api.post(url, **_widget_post(key, origin, "hi there"))
        assert resp.status_code == 403, (origin, resp.text)
        assert "access-control-allow-origin" not in resp.headers  # the page may not even read the answer
    assert (await api.post(url, **_widget_post(None, SHOP, "hi"))).status_code == 401
    forged = f"vaw_{uuid.UUID(wid['id']).hex}_{'0' * 12}"  # right integration, wrong nonce
    guessed = f"vaw_{uuid.uuid4().hex}_{uuid.uuid4().hex[:12]}"
    for bad in (forged, guessed, "vaw_nope", hotel.tenant.owner_key):
        resp = await api.post(url, **_widget_post(bad, SHOP, "hi"))
        assert resp.status_code == 401, (bad, resp.text)
    assert (
        await api.post(url, **_widget_post(key, "http://localhost:8080", "Is there a swimming pool?"))
    ).status_code == 200

    # the key is public: it authenticates nothing but the widget endpoint
    as_bearer = bearer(key)
    as_widget = {"X-Widget-Key": key, "Origin": SHOP}
    for method, path, body in (
        ("GET", "/agents", None),
        ("GET", "/integrations", None),
        ("GET", "/webhooks/subscriptions", None),
        ("POST", f"/agents/{hotel.slug}/chat", {"message": "hello"}),
        ("POST", "/chat/completions", {"model": hotel.slug, "messages": [{"role": "user", "content": "hi"}]}),
        ("POST", "/webhooks/subscriptions", {"url": "https://x.example.com/h", "event_types": ["*"]}),
    ):
        for headers in (as_bearer, as_widget):
            resp = await api.request(method, f"{API}{path}", json=body, headers=headers)
            assert resp.status_code in (401, 404), (method, path, resp.status_code, resp.text)
            if resp.status_code == 404:  # only acceptable when the route does not exist at all
                assert "no API route" in resp.text, (path, resp.text)

    # over the per-widget limit: 429 with Retry-After, and readable by the page (CORS on the error)
    monkeypatch.setattr(widget, "PER_MINUTE", 2)
    limited = await _widget(api, hotel.tenant.owner_key, hotel.slug, [SHOP])
    statuses = []
    for _ in range(3):
        resp = await api.post(url, **_widget_post(limited["widget_key"], SHOP, "What time is check-in?"))
        statuses.append(resp.status_code)
    assert statuses == [200, 200, 429], statuses
    assert int(resp.headers["retry-after"]) >= 1 and resp.json()["error"]["code"] == "rate_limited"
    assert resp.headers.get("access-control-allow-origin") == SHOP
    # the other widget has its own budget
    assert (await api.post(url, **_widget_post(key, SHOP, "What time is check-out?"))).status_code == 200

    # a disconnected widget's key stops working at once
    assert (await api.delete(f"{API}/integrations/{wid['id']}", headers=hotel.headers)).status_code == 204
    assert (await api.post(url, **_widget_post(key, SHOP, "hello again"))).status_code == 401


# --- 2. outbound fan-out from the bus -------------------------------------------------------


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


# --- 3. disabled after repeated failures, then redelivered by hand --------------------------


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


# --- 4. alert notifier ----------------------------------------------------------------------


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


# --- 5. an inbound webhook over real HTTP ---------------------------------------------------


@pytest.fixture(scope="module")
def served_app() -> Iterator[str]:
    """The app's FastAPI (with the request-context middleware) under uvicorn on loopback, in a
    subprocess: the database pool is per process and must not cross event loops."""
    port = free_port()
    code = (
        "import uvicorn\n"
        "from va_app.api.app import build_api, with_request_context\n"
        f"uvicorn.run(with_request_context(build_api()), host='127.0.0.1', port={port}, "
        "log_level='warning', lifespan='off')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while not port_open(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.poll() is not None and proc.stdout else ""
                pytest.fail(f"uvicorn did not start: {out}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture
async def hub_worker() -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop, block_ms=50))
    await asyncio.sleep(0.2)
    yield
    stop.set()
    await asyncio.wait_for(task, 10)


async def test_slack_event_over_real_http_is_answered(
    api: httpx.AsyncClient, providers: fake.FakeProviders, served_app: str, hub_worker: None
) -> None:
    hotel = await hotel_agent(api)
    resp = await api.post(
        f"{API}/integrations/connect",
        json={"kind": "slack", "name": "slack http",
              "credentials": {"bot_token": fake.SLACK_TOKEN, "signing_secret": "http-secret"},
              "config": {"agent": hotel.slug, "api_base": f"{providers.base}/slack/api"}},
        headers=hotel.headers,
    )  # fmt: skip
    assert resp.status_code == 201, resp.text
    url = served_app + resp.json()["webhook_path"]
    channel = f"CH{uuid.uuid4().hex[:6]}"

    signed = senders.slack_event("http-secret", "What is the Wi-Fi password?", channel=channel)
    sent = await asyncio.to_thread(senders.send, url, signed)
    assert sent.status_code == 200 and sent.json()["status"] == "accepted", sent.text
    assert sent.headers.get("x-request-id")  # through the request-context middleware
    retry = await asyncio.to_thread(senders.send, url, signed)  # Slack retries an event it thinks was lost
    assert retry.json()["status"] == "duplicate"
    forged = (signed[0], signed[1] | {"X-Slack-Signature": "v0=" + "1" * 64})
    assert (await asyncio.to_thread(senders.send, url, forged)).status_code == 403

    deadline = time.monotonic() + 30
    while not [c for c in providers.of("slack") if c.json()["channel"] == channel]:
        assert time.monotonic() < deadline, "no Slack reply"
        await asyncio.sleep(0.05)
    reply = next(c for c in providers.of("slack") if c.json()["channel"] == channel).json()
    assert "Aurelia-Guest" in reply["text"]


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
