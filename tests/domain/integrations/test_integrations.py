"""Integration hub end to end against local fake providers (real HTTP on loopback, real
signature schemes): channels reach the agent and the reply comes back, bad webhooks are
refused with the right status and nothing runs twice, a handoff opens a Salesforce case,
and an outbound subscriber that was down gets every delivery once it is back."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid

import httpx
import pytest

from tests.api_client import bearer
from tests.chat_setup import API, hotel_agent
from tools.fake_providers import senders
from tools.fake_providers import server as fake
from va_app.domain.integrations import botframework, delivery
from va_app.domain.integrations.signing import verify_va_signature

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
TEAMS_KEY = base64.b64encode(b"teams-hmac-key-0123456789").decode()


def _teams_config(agent: str, base: str, **extra: object) -> dict:
    return {
        "agent": agent,
        "token_url": f"{base}/teams/token",
        "openid_metadata_url": f"{base}/teams/openid",
        "service_url_prefixes": [f"{base}/teams"],
        **extra,
    }


async def _connect(api: httpx.AsyncClient, key: str, kind: str, credentials: dict, config: dict) -> dict:
    body = {"kind": kind, "name": f"{kind} test", "credentials": credentials, "config": config}
    resp = await api.post(f"{API}/integrations/connect", json=body, headers=bearer(key))
    assert resp.status_code == 201, resp.text
    return resp.json()


async def test_slack_whatsapp_twilio_teams_messages_reach_the_agent_and_replies_come_back(
    api: httpx.AsyncClient, providers: fake.FakeProviders, hub_worker: None
) -> None:
    hotel = await hotel_agent(api)
    key, base = hotel.tenant.owner_key, providers.base
    slack = await _connect(
        api, key, "slack", {"bot_token": fake.SLACK_TOKEN, "signing_secret": "slack-secret"},
        {"agent": hotel.slug, "api_base": f"{base}/slack/api"},
    )  # fmt: skip
    wa = await _connect(
        api, key, "whatsapp", {"access_token": fake.WA_TOKEN, "app_secret": "wa-secret", "verify_token": "vt"},
        {"agent": hotel.slug, "phone_number_id": "1099", "api_base": f"{base}/graph"},
    )  # fmt: skip
    tw = await _connect(
        api, key, "twilio", {"account_sid": fake.TWILIO_SID, "auth_token": fake.TWILIO_TOKEN},
        {"agent": hotel.slug, "api_base": f"{base}/twilio"},
    )  # fmt: skip
    teams = await _connect(
        api, key, "teams",
        {"app_id": fake.TEAMS_APP, "app_password": fake.TEAMS_PASSWORD},
        _teams_config(hotel.slug, base),
    )  # fmt: skip
    listed = (await api.get(f"{API}/integrations", headers=bearer(key))).json()
    assert "slack-secret" not in str(listed) and fake.TWILIO_TOKEN not in str(listed)
    assert sorted(listed["data"][0]["credential_fields"]) == ["bot_token", "signing_secret"]

    body, headers = senders.slack_event("slack-secret", "Is breakfast included?")
    resp = await api.post(f"{API}/integrations/webhook/{slack['id']}", content=body, headers=headers)
    assert resp.status_code == 200 and resp.json()["status"] == "accepted", resp.text
    body, headers = senders.whatsapp_message("wa-secret", "Do you have parking?")
    assert (await api.post(f"{API}/integrations/webhook/{wa['id']}", content=body, headers=headers)).status_code == 200
    url = f"http://test{API}/integrations/webhook/{tw['id']}"
    body, headers = senders.twilio_sms(fake.TWILIO_TOKEN, url, "Are pets allowed?")
    resp = await api.post(url, content=body, headers=headers)
    assert resp.status_code == 200, resp.text
    bearer_token = providers.teams_bearer(f"{base}/teams")
    body, headers = senders.teams_activity(bearer_token, "What time is check-out?", f"{base}/teams")
    resp = await api.post(f"{API}/integrations/webhook/{teams['id']}", content=body, headers=headers)
    assert resp.status_code == 200, resp.text

    slack_reply = (await providers.wait_for("slack"))[-1].json()
    assert slack_reply["channel"] == "C0001" and "6:30" in slack_reply["text"]
    wa_reply = (await providers.wait_for("whatsapp"))[-1].json()
    assert wa_reply["to"] == "15550001111" and "35 EUR" in wa_reply["text"]["body"]
    sms = (await providers.wait_for("twilio"))[-1].form()
    assert sms["To"] == "+15550002222" and "25 EUR" in sms["Body"]
    teams_reply = (await providers.wait_for("teams"))[-1].json()
    assert "11:00" in teams_reply["text"]

    status = (await api.get(f"{API}/integrations/sync", headers=bearer(key))).json()["data"]
    by_kind = {s["kind"]: s for s in status}
    assert by_kind["slack"]["events_received"] >= 1 and by_kind["slack"]["last_sync_at"]


async def test_bad_webhooks_are_refused_and_nothing_runs_twice(
    api: httpx.AsyncClient, providers: fake.FakeProviders, hub_worker: None
) -> None:
    hotel = await hotel_agent(api)
    slack = await _connect(
        api, hotel.tenant.owner_key, "slack", {"bot_token": fake.SLACK_TOKEN, "signing_secret": "s3"},
        {"agent": hotel.slug, "api_base": f"{providers.base}/slack/api"},
    )  # fmt: skip
    url = f"{API}/integrations/webhook/{slack['id']}"
    body, headers = senders.slack_event("s3", "Is there a swimming pool?", channel="CDUP", event_id="EvDup1")
    unsigned = {"Content-Type": "application/json"}
    assert (await api.post(url, content=body, headers=unsigned)).status_code == 401
    assert (await api.post(f"{API}/integrations/webhook/{uuid.uuid4()}", content=body)).status_code == 401
    forged = headers | {"X-Slack-Signature": "v0=" + "0" * 64}
    assert (await api.post(url, content=body, headers=forged)).status_code == 403
    bad_body, bad_headers = b"{not json", senders.slack_event("s3", "x")[1]
    bad_headers["X-Slack-Signature"] = senders.hmac.new(
        b"s3", f"v0:{bad_headers['X-Slack-Request-Timestamp']}:".encode() + bad_body, "sha256"
    ).hexdigest()
    bad_headers["X-Slack-Signature"] = "v0=" + bad_headers["X-Slack-Signature"]
    assert (await api.post(url, content=bad_body, headers=bad_headers)).status_code == 400
    old_body, old_headers = senders.slack_event("s3", "hello", ts=time.time() - 3600)
    assert (await api.post(url, content=old_body, headers=old_headers)).status_code == 409
    challenge = await api.post(url, content=(c := senders.slack_challenge("s3", "abc"))[0], headers=c[1])
    assert challenge.json() == {"challenge": "abc"}

    first = await api.post(url, content=body, headers=headers)
    again = await api.post(url, content=body, headers=headers)  # a provider retry of the same event
    assert first.json()["status"] == "accepted" and again.json()["status"] == "duplicate"
    # wait for the reply to this channel itself (wait_for counts every Slack call, earlier ones too)
    deadline = asyncio.get_running_loop().time() + 30
    while not [c for c in providers.of("slack") if c.json()["channel"] == "CDUP"]:
        assert asyncio.get_running_loop().time() < deadline, "no reply on CDUP within 30 s"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # a second reply (the retry answered twice) would arrive by now
    assert len([c for c in providers.of("slack") if c.json()["channel"] == "CDUP"]) == 1

    wa = await _connect(
        api, hotel.tenant.owner_key, "whatsapp",
        {"access_token": fake.WA_TOKEN, "app_secret": "a", "verify_token": "vt"},
        {"agent": hotel.slug, "phone_number_id": "1099", "api_base": f"{providers.base}/graph"},
    )  # fmt: skip
    hs = f"{API}/integrations/webhook/{wa['id']}"
    ok = await api.get(hs, params={"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "42"})
    assert ok.status_code == 200 and ok.text == "42"
    no = await api.get(hs, params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "42"})
    assert no.status_code == 403


async def test_teams_activities_need_a_genuine_bot_connector_token(
    api: httpx.AsyncClient, providers: fake.FakeProviders, hub_worker: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    hotel = await hotel_agent(api)
    key, base = hotel.tenant.owner_key, providers.base
    creds = {"app_id": fake.TEAMS_APP, "app_password": fake.TEAMS_PASSWORD}
    teams = await _connect(api, key, "teams", creds, _teams_config(hotel.slug, base))
    url, service = f"{API}/integrations/webhook/{teams['id']}", f"{base}/teams"
    # connecting ran the connection test: the token endpoint and the signing keys were reachable

    async def status(bearer_value: str, *, channel: str = "msteams", service_url: str = service) -> int:
        body, headers = senders.teams_activity(bearer_value, "Is there a gym?", service_url, channel=channel)
        return (await api.post(url, content=body, headers=headers)).status_code

    other_key = fake.rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = fake.jwt.encode(
        {"iss": "https://api.botframework.com", "aud": fake.TEAMS_APP, "serviceUrl": service,
         "exp": int(time.time()) + 600},
        other_key, algorithm="RS256", headers={"kid": providers.teams_kid},
    )  # fmt: skip
    assert await status("") == 401  # no Authorization at all
    assert await status("HMAC abc") == 401  # not a bearer token in bot_framework mode
    assert await status("Bearer not-a-jwt") == 403
    assert await status(f"Bearer {forged}") == 403  # right kid, signed by someone else
    assert await status(providers.teams_bearer(service, app_id="another-bot")) == 403
    assert await status(providers.teams_bearer(service, iss="https://evil.example")) == 403
    assert await status(providers.teams_bearer(service, exp=int(time.time()) - 3600)) == 403
    assert await status(providers.teams_bearer(f"{base}/elsewhere"), service_url=service) == 403
    assert await status(providers.teams_bearer(service), channel="skype") == 403  # key not endorsed
    before = len(providers.of("teams"))
    assert await status(providers.teams_bearer(service, tid="tenant-1")) == 200  # extra claims are fine
    await providers.wait_for("teams", before + 1)
    await asyncio.sleep(0.3)
    assert len(providers.of("teams")) == before + 1  # only the genuine activity was answered

    # Microsoft rotates keys without notice: a token under an unknown kid refetches the key set.
    monkeypatch.setattr(botframework, "REFRESH_FLOOR_S", 0)
    monkeypatch.setattr(providers, "teams_kid", "rotated-key")
    monkeypatch.setattr(providers, "teams_key", fake.rsa.generate_private_key(public_exponent=65537, key_size=2048))
    assert await status(providers.teams_bearer(service)) == 200
    await providers.wait_for("teams", before + 2)

    hook = await _connect(
        api, key, "teams", creds | {"security_token": TEAMS_KEY},
        _teams_config(hotel.slug, base, auth="outgoing_webhook"),
    )  # fmt: skip
    hook_url = f"{API}/integrations/webhook/{hook['id']}"
    body, headers = senders.teams_outgoing_webhook(TEAMS_KEY, "Is there a spa?", service)
    assert (await api.post(hook_url, content=body, headers=headers)).status_code == 200
    wrong = senders.teams_outgoing_webhook(base64.b64encode(b"another-key").decode(), "Is there a spa?", service)
    assert (await api.post(hook_url, content=wrong[0], headers=wrong[1])).status_code == 403
    jwt_there = {"Authorization": providers.teams_bearer(service)}  # a JWT where the HMAC belongs
    assert (await api.post(hook_url, content=body, headers=jwt_there)).status_code == 403


async def test_handoff_opens_a_salesforce_case_with_the_transcript(
    api: httpx.AsyncClient, providers: fake.FakeProviders, hub_worker: None
) -> None:
    hotel = await hotel_agent(api)
    await _connect(
        api, hotel.tenant.owner_key, "salesforce", {"client_id": fake.SF_ID, "client_secret": fake.SF_SECRET},
        {"login_url": f"{providers.base}/sf", "handoff": True},
    )  # fmt: skip
    h = hotel.headers
    first = (await api.post(f"{API}/agents/{hotel.slug}/chat", json={"message": "Is there a pool?"}, headers=h)).json()
    resp = await api.post(
        f"{API}/agents/{hotel.slug}/chat",
        json={
            "message": "I want to talk to a person, my email is g@x.org",
            "conversation_id": first["conversation_id"],
        },
        headers=h,
    )
    assert resp.json()["outcome"] == "handoff"
    from va_app.domain.conversations import events

    await events.flush()
    cases = [c for c in await providers.wait_for("salesforce.Case") if first["conversation_id"] in c.json()["Subject"]]
    await asyncio.sleep(0.3)
    assert len(cases) == 1
    description = cases[0].json()["Description"]
    assert "Is there a pool?" in description and "g@x.org" not in description  # masked transcript


async def test_a_subscriber_that_was_down_receives_every_delivery_when_back(
    api: httpx.AsyncClient, providers: fake.FakeProviders
) -> None:
    hotel = await hotel_agent(api)
    h = bearer(hotel.tenant.owner_key)
    name = f"sub{uuid.uuid4().hex[:6]}"
    sub = await api.post(
        f"{API}/webhooks/subscriptions",
        json={"url": f"{providers.base}/hooks/{name}", "event_types": ["agent"]},
        headers=h,
    )
    assert sub.status_code == 201, sub.text
    secret = sub.json()["secret"]
    assert "secret" not in str(
        (await api.get(f"{API}/webhooks/subscriptions", headers=h)).json()["data"][0]["secret"] or ""
    )
    from va_app.domain.integrations import outbound

    providers.down.add(name)
    for i in range(5):
        await outbound.enqueue(hotel.tenant.tenant_id, "agent.version.created", f"ev-{name}-{i}", {"n": i})
    policy = delivery.policy_for_tests(base_backoff_s=0.05, max_backoff_s=0.2, breaker_cooldown_s=0.2, tick_s=0.05)
    delivery.reset_breakers()
    for _ in range(10):
        await delivery.tick(policy)
        await asyncio.sleep(0.1)
    failing = (await api.get(f"{API}/webhooks/deliveries", headers=h)).json()["data"]
    assert failing and all(d["status"] == "retrying" for d in failing)
    providers.down.discard(name)
    deadline = time.monotonic() + 15
    while len(providers.of(f"hook.{name}")) < 5 and time.monotonic() < deadline:
        await delivery.tick(policy)
        await asyncio.sleep(0.05)
    got = providers.of(f"hook.{name}")
    assert sorted(c.json()["data"]["n"] for c in got) == [0, 1, 2, 3, 4]
    assert all(verify_va_signature(secret, c.body, c.headers["x-va-signature"]) for c in got)
    done = (await api.get(f"{API}/webhooks/deliveries", headers=h, params={"status": "delivered"})).json()["data"]
    assert len(done) == 5 and all(d["response_ms"] is not None for d in done)
    again = await api.post(f"{API}/webhooks/deliveries/{done[0]['id']}/redeliver", headers=h)
    assert again.status_code == 200 and again.json()["status"] == "pending"
    await delivery.tick(policy)
    assert len(providers.of(f"hook.{name}")) == 6


async def test_crm_actions_and_connection_tests_against_fakes(
    api: httpx.AsyncClient, providers: fake.FakeProviders
) -> None:
    hotel = await hotel_agent(api)
    key, base = hotel.tenant.owner_key, providers.base
    hs = await _connect(api, key, "hubspot", {"access_token": fake.HS_TOKEN}, {"api_base": f"{base}/hubspot"})
    zd = await _connect(
        api, key, "zendesk", {"email": fake.ZD_EMAIL, "api_token": fake.ZD_TOKEN}, {"base_url": f"{base}/zendesk"}
    )
    rest = await _connect(
        api, key, "rest", {"auth": "bearer", "token": "t"},
        {"url_template": base + "/rest/orders/{order}", "body_template": '{"note": "{{note}}"}'},
    )  # fmt: skip
    sf = await _connect(api, key, "salesforce", {"client_id": fake.SF_ID, "client_secret": fake.SF_SECRET},
                        {"login_url": f"{base}/sf"})  # fmt: skip
    bad = await api.post(
        f"{API}/integrations/connect",
        json={
            "kind": "hubspot",
            "name": "x",
            "credentials": {"access_token": "wrong"},
            "config": {"api_base": f"{base}/hubspot"},
        },
        headers=bearer(key),
    )
    assert bad.status_code == 400 and "test_connection" in bad.text
    run = f"{API}/integrations/{{}}/actions/{{}}"
    r = await api.post(run.format(hs["id"], "create_contact"), json={"params": {"email": "a@b.c"}}, headers=bearer(key))
    assert r.status_code == 200 and r.json()["object"] == "contact"
    r = await api.post(run.format(zd["id"], "create_ticket"), json={"params": {"subject": "s"}}, headers=bearer(key))
    assert r.status_code == 200 and r.json()["id"] >= 1000
    r = await api.post(
        run.format(rest["id"], "call"), json={"params": {"order": "a/b", "note": 'x"y'}}, headers=bearer(key)
    )
    assert (
        r.status_code == 200 and r.json()["data"]["path"] == "/rest/orders/a/b"
    )  # sent quoted (a%2Fb), decoded by the fake
    assert providers.of("rest")[-1].json() == {"note": 'x"y'}
    r = await api.post(run.format(sf["id"], "create_lead"), json={"params": {"last_name": "L"}}, headers=bearer(key))
    assert r.status_code == 200 and r.json()["object"] == "Lead"
    denied = await api.post(
        run.format(sf["id"], "create_lead"), json={"params": {}, "agent": hotel.slug, "version": 1}, headers=bearer(key)
    )
    assert denied.status_code == 403  # the hotel template does not declare create_lead
    assert (await api.delete(f"{API}/integrations/{hs['id']}", headers=bearer(key))).status_code == 204
