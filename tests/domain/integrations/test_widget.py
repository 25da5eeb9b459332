"""The web chat widget: its script, the origin check, a key that opens nothing but the widget
endpoint, the per-widget rate limit, and a key that stops working once the widget is disconnected."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.api_client import bearer
from tests.chat_setup import API, hotel_agent
from va_app.domain.integrations import widget

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
SHOP = "https://shop.example.com"


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
