"""Inbound webhooks as each provider builds and signs them (written from the providers' docs,
independently of ``va_app.domain.integrations.signing``)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import time
import urllib.parse
import uuid
from typing import Any

import httpx
import orjson


def slack_event(
    signing_secret: str,
    text: str,
    *,
    channel: str = "C0001",
    user: str = "U0001",
    ts: float | None = None,
    event_id: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps(
        {
            "type": "event_callback",
            "team_id": "T0001",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10]}",
            "event": {"type": "message", "user": user, "text": text, "channel": channel, "ts": f"{time.time():.6f}"},
        }
    )
    stamp = str(int(ts if ts is not None else time.time()))
    base = f"v0:{stamp}:".encode() + body
    sig = "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    headers = {"X-Slack-Signature": sig, "X-Slack-Request-Timestamp": stamp, "Content-Type": "application/json"}
    return body, headers


def slack_challenge(signing_secret: str, challenge: str) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps({"type": "url_verification", "token": "x", "challenge": challenge})
    stamp = str(int(time.time()))
    sig = "v0=" + hmac.new(signing_secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return body, {"X-Slack-Signature": sig, "X-Slack-Request-Timestamp": stamp, "Content-Type": "application/json"}


def whatsapp_message(
    app_secret: str,
    text: str,
    *,
    sender: str = "15550001111",
    phone_id: str = "1099",
    ts: float | None = None,
    message_id: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    message = {
        "from": sender,
        "id": message_id or f"wamid.{uuid.uuid4().hex}",
        "timestamp": str(int(ts if ts is not None else time.time())),
        "type": "text",
        "text": {"body": text},
    }
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": phone_id}, "messages": [message]}
    body = orjson.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}],
        }
    )
    sig = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-Hub-Signature-256": sig, "Content-Type": "application/json"}


def twilio_sms(
    auth_token: str,
    url: str,
    text: str,
    *,
    sender: str = "+15550002222",
    to: str = "+15550009999",
    sid: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    params = {"MessageSid": sid or f"SM{uuid.uuid4().hex}", "From": sender, "To": to, "Body": text, "NumMedia": "0"}
    signed = url + "".join(k + params[k] for k in sorted(params))
    sig = base64.b64encode(hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()).decode()
    body = urllib.parse.urlencode(params).encode()
    return body, {"X-Twilio-Signature": sig, "Content-Type": "application/x-www-form-urlencoded"}


def _activity(text: str, service_url: str, when: dt.datetime | None, channel: str) -> bytes:
    stamp = (when or dt.datetime.now(dt.UTC)).isoformat().replace("+00:00", "Z")
    act: dict[str, Any] = {
        "type": "message",
        "id": uuid.uuid4().hex,
        "timestamp": stamp,
        "serviceUrl": service_url,
        "channelId": channel,
        "from": {"id": "29:user", "name": "User"},
        "conversation": {"id": "a:conv1"},
        "recipient": {"id": "28:bot"},
        "text": text,
    }
    return orjson.dumps(act)


def teams_activity(
    bearer: str, text: str, service_url: str, *, when: dt.datetime | None = None, channel: str = "msteams"
) -> tuple[bytes, dict[str, str]]:
    """A Bot Connector activity with its JWT (``bearer`` from ``FakeProviders.teams_bearer``)."""
    body = _activity(text, service_url, when, channel)
    return body, {"Authorization": bearer, "Content-Type": "application/json"}


def teams_outgoing_webhook(
    security_token_b64: str, text: str, service_url: str, *, when: dt.datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    """A Teams outgoing-webhook post, signed ``HMAC <base64>`` with the webhook's security token."""
    body = _activity(text, service_url, when, "msteams")
    mac = hmac.new(base64.b64decode(security_token_b64), body, hashlib.sha256).digest()
    return body, {"Authorization": "HMAC " + base64.b64encode(mac).decode(), "Content-Type": "application/json"}


def send(url: str, signed: tuple[bytes, dict[str, str]], timeout: float = 30.0) -> httpx.Response:
    """POST a signed webhook over real HTTP, the way the provider itself would deliver it."""
    body, headers = signed
    return httpx.post(url, content=body, headers=headers, timeout=timeout)
