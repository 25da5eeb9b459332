"""Messaging channels: Slack Events API, Microsoft Teams, WhatsApp Business Cloud API, Twilio
SMS and the web chat widget.

For each: how a genuine webhook is recognised (signature), how messages are read out of it,
and how a reply goes back through the provider's API into the same thread/user. Provider API
base URLs live in the integration's config (defaulting to the real ones) so tests and private
deployments can point them elsewhere.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Any, Literal

import orjson
from pydantic import Field

from va_app.domain.integrations import botframework, http, signing
from va_app.domain.integrations.registry import (
    Connection,
    ConnectorType,
    EmptySchema,
    InboundMessage,
    InboundRequest,
    ParsedWebhook,
    Schema,
    WebhookRejected,
    register,
)

AgentRef = Field(min_length=1, max_length=200, description="slug or id of the agent that answers")


def _require(req: InboundRequest, header: str) -> str:
    value = req.headers.get(header.lower(), "")
    if not value:
        raise WebhookRejected(401, "unsigned", f"missing {header} header")
    return value


def _check(expected: str, got: str) -> None:
    if not signing.equal(expected, got):
        raise WebhookRejected(403, "bad_signature", "signature does not match")


def _json(body: bytes) -> Any:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise WebhookRejected(400, "malformed", "body is not valid JSON") from None
    if not isinstance(data, dict):
        raise WebhookRejected(400, "malformed", "body must be a JSON object")
    return data


# --- Slack -----------------------------------------------------------------------------------


class SlackCredentials(Schema):
    bot_token: str = Field(min_length=1, max_length=500)
    signing_secret: str = Field(min_length=1, max_length=500)


class SlackConfig(Schema):
    agent: str = AgentRef
    api_base: str = "https://slack.com/api"


def _slack_verify(conn: Connection, req: InboundRequest) -> None:
    sig = _require(req, "X-Slack-Signature")
    ts = _require(req, "X-Slack-Request-Timestamp")
    _check(signing.slack_signature(conn.credentials["signing_secret"], ts, req.body), sig)


def _slack_parse(_conn: Connection, req: InboundRequest) -> ParsedWebhook:
    data = _json(req.body)
    try:
        ts = float(req.headers.get("x-slack-request-timestamp", ""))
    except ValueError:
        raise WebhookRejected(400, "malformed", "bad X-Slack-Request-Timestamp") from None
    if data.get("type") == "url_verification":
        return ParsedWebhook("", ts, [], immediate={"challenge": str(data.get("challenge", ""))})
    event, event_id = data.get("event"), str(data.get("event_id") or "")
    if data.get("type") != "event_callback" or not isinstance(event, dict) or not event_id:
        raise WebhookRejected(400, "malformed", "expected an event_callback with event_id")
    # Bot messages (ours included) and edits are not questions: answering them would loop.
    if event.get("type") not in ("message", "app_mention") or event.get("bot_id") or event.get("subtype"):
        return ParsedWebhook(event_id, ts, [])
    channel, thread_ts = str(event.get("channel", "")), event.get("thread_ts")
    msg = InboundMessage(
        event_id=event_id,
        conversation_key=f"{data.get('team_id', '')}:{channel}:{thread_ts or ''}",
        user_id=str(event.get("user", "")),
        text=str(event.get("text", "")),
        thread={"channel": channel, "thread_ts": thread_ts},
    )
    return ParsedWebhook(event_id, ts, [msg])


async def slack_api(conn: Connection, method: str, body: dict[str, Any]) -> dict[str, Any]:
    resp = await http.call(
        "slack",
        "POST",
        f"{conn.config['api_base'].rstrip('/')}/{method}",
        json=body,
        headers={"Authorization": f"Bearer {conn.credentials['bot_token']}"},
    )
    data = resp.json()
    if not data.get("ok"):  # Slack answers 200 with ok=false on errors
        raise http.ConnectorError("slack", resp.status_code, str(data.get("error", "not ok")))
    return dict(data)


async def _slack_reply(conn: Connection, msg: InboundMessage, text: str) -> None:
    body: dict[str, Any] = {"channel": msg.thread["channel"], "text": text}
    if msg.thread.get("thread_ts"):
        body["thread_ts"] = msg.thread["thread_ts"]
    await slack_api(conn, "chat.postMessage", body)


async def _slack_test(conn: Connection) -> None:
    await slack_api(conn, "auth.test", {})


# --- WhatsApp Business Cloud API ------------------------------------------------------------


class WhatsAppCredentials(Schema):
    access_token: str = Field(min_length=1, max_length=1000)
    app_secret: str = Field(min_length=1, max_length=500)
    verify_token: str = Field(min_length=1, max_length=500)


class WhatsAppConfig(Schema):
    agent: str = AgentRef
    phone_number_id: str = Field(min_length=1, max_length=100)
    api_base: str = "https://graph.facebook.com/v19.0"


def _wa_verify(conn: Connection, req: InboundRequest) -> None:
    sig = _require(req, "X-Hub-Signature-256")
    _check(signing.hub_signature_256(conn.credentials["app_secret"], req.body), sig)


def _wa_parse(_conn: Connection, req: InboundRequest) -> ParsedWebhook:
    data = _json(req.body)
    messages: list[InboundMessage] = []
    stamps: list[float] = []
    try:
        for entry in data["entry"]:
            for change in entry.get("changes", []):
                value = change.get("value", {})
                for m in value.get("messages", []):
                    stamps.append(float(m["timestamp"]))
                    if m.get("type") != "text":
                        continue
                    messages.append(
                        InboundMessage(
                            event_id=str(m["id"]),
                            conversation_key=str(m["from"]),
                            user_id=str(m["from"]),
                            text=str(m["text"]["body"]),
                            thread={"to": str(m["from"])},
                        )
                    )
    except (KeyError, TypeError, ValueError):
        raise WebhookRejected(400, "malformed", "not a WhatsApp Cloud API notification") from None
    event_id = ",".join(m.event_id for m in messages)[:200] or ""
    return ParsedWebhook(event_id, min(stamps) if stamps else None, messages)


async def _wa_reply(conn: Connection, msg: InboundMessage, text: str) -> None:
    await http.call(
        "whatsapp",
        "POST",
        f"{conn.config['api_base'].rstrip('/')}/{conn.config['phone_number_id']}/messages",
        json={"messaging_product": "whatsapp", "to": msg.thread["to"], "type": "text", "text": {"body": text}},
        headers={"Authorization": f"Bearer {conn.credentials['access_token']}"},
    )


async def _wa_test(conn: Connection) -> None:
    await http.call(
        "whatsapp",
        "GET",
        f"{conn.config['api_base'].rstrip('/')}/{conn.config['phone_number_id']}",
        headers={"Authorization": f"Bearer {conn.credentials['access_token']}"},
    )


def whatsapp_handshake(conn: Connection, query: dict[str, str]) -> str:
    """Meta's GET subscription check: echo ``hub.challenge`` when our verify token is presented."""
    if query.get("hub.mode") != "subscribe" or not signing.equal(
        query.get("hub.verify_token", ""), conn.credentials["verify_token"]
    ):
        raise WebhookRejected(403, "bad_verify_token", "verify token does not match")
    return query.get("hub.challenge", "")


# --- Twilio SMS -----------------------------------------------------------------------------


class TwilioCredentials(Schema):
    account_sid: str = Field(min_length=1, max_length=100)
    auth_token: str = Field(min_length=1, max_length=200)


class TwilioConfig(Schema):
    agent: str = AgentRef
    from_number: str = Field(default="", max_length=50, description="sender; default the number written to")
    webhook_url: str = Field(default="", max_length=2000, description="the URL Twilio calls, when behind a proxy")
    api_base: str = "https://api.twilio.com"


def _form(body: bytes) -> dict[str, str]:
    try:
        return dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body)))
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected(400, "malformed", "body is not form-encoded") from None


def _twilio_verify(conn: Connection, req: InboundRequest) -> None:
    sig = _require(req, "X-Twilio-Signature")
    url = conn.config.get("webhook_url") or req.url
    _check(signing.twilio_signature(conn.credentials["auth_token"], url, _form(req.body)), sig)


def _twilio_parse(_conn: Connection, req: InboundRequest) -> ParsedWebhook:
    form = _form(req.body)
    sid, sender = form.get("MessageSid", ""), form.get("From", "")
    if not sid or not sender:
        raise WebhookRejected(400, "malformed", "MessageSid and From are required")
    msg = InboundMessage(sid, sender, sender, form.get("Body", ""), {"to": sender, "from": form.get("To", "")})
    return ParsedWebhook(sid, None, [msg] if msg.text.strip() else [])  # Twilio sends no timestamp


def _twilio_base(conn: Connection) -> str:
    return f"{conn.config['api_base'].rstrip('/')}/2010-04-01/Accounts/{conn.credentials['account_sid']}"


async def _twilio_reply(conn: Connection, msg: InboundMessage, text: str) -> None:
    sender = conn.config.get("from_number") or msg.thread["from"]
    await http.call(
        "twilio",
        "POST",
        f"{_twilio_base(conn)}/Messages.json",
        data={"To": msg.thread["to"], "From": sender, "Body": text},
        auth=(conn.credentials["account_sid"], conn.credentials["auth_token"]),
    )


async def _twilio_test(conn: Connection) -> None:
    auth = (conn.credentials["account_sid"], conn.credentials["auth_token"])
    await http.call("twilio", "GET", f"{_twilio_base(conn)}.json", auth=auth)


# --- Microsoft Teams (Bot Framework activities) ----------------------------------------------


class TeamsCredentials(Schema):
    app_id: str = Field(min_length=1, max_length=200, description="the bot's Microsoft app id")
    app_password: str = Field(min_length=1, max_length=500, description="the bot's client secret")
    security_token: str = Field(
        default="", max_length=500, description="base64 HMAC key; only for auth = outgoing_webhook"
    )


class TeamsConfig(Schema):
    agent: str = AgentRef
    auth: Literal["bot_framework", "outgoing_webhook"] = Field(
        default="bot_framework",
        description="bot_framework: Bot Connector JWTs (a registered bot); outgoing_webhook: Teams HMAC",
    )
    openid_metadata_url: str = botframework.METADATA_URL
    token_url: str = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
    service_url_prefixes: list[str] = Field(default_factory=lambda: ["https://smba.trafficmanager.net/"])


async def _teams_verify(conn: Connection, req: InboundRequest) -> None:
    auth = _require(req, "Authorization")
    if conn.config.get("auth", "bot_framework") == "outgoing_webhook":
        token = conn.credentials.get("security_token", "")
        if not token:
            raise WebhookRejected(403, "bad_signature", "outgoing_webhook auth needs a security_token")
        try:
            expected = signing.teams_signature(token, req.body)
        except ValueError:
            raise WebhookRejected(403, "bad_signature", "security token is not base64") from None
        _check(expected, auth)
        return
    act = _json(req.body)
    if not isinstance(act, dict):
        raise WebhookRejected(400, "malformed", "not a Bot Framework activity")
    await botframework.verify_activity(
        auth,
        app_id=conn.credentials["app_id"],
        service_url=str(act.get("serviceUrl", "")),
        channel_id=str(act.get("channelId", "")),
        metadata_url=conn.config.get("openid_metadata_url") or botframework.METADATA_URL,
    )


def _teams_parse(conn: Connection, req: InboundRequest) -> ParsedWebhook:
    act = _json(req.body)
    try:
        activity_id, conv = str(act["id"]), str(act["conversation"]["id"])
        ts = dt.datetime.fromisoformat(str(act["timestamp"]).replace("Z", "+00:00")).timestamp()
        service_url = str(act["serviceUrl"])
    except (KeyError, TypeError, ValueError):
        raise WebhookRejected(400, "malformed", "not a Bot Framework activity") from None
    # The reply goes to serviceUrl: only to Microsoft's (or configured) hosts, never anywhere a sender says.
    if not any(service_url.startswith(p) for p in conn.config.get("service_url_prefixes", [])):
        raise WebhookRejected(400, "malformed", "serviceUrl is not an allowed Bot Framework host")
    if act.get("type") != "message" or not str(act.get("text", "")).strip():
        return ParsedWebhook(activity_id, ts, [])
    user = str((act.get("from") or {}).get("id", ""))
    thread = {"service_url": service_url, "conversation": conv, "activity_id": activity_id}
    return ParsedWebhook(activity_id, ts, [InboundMessage(activity_id, conv, user, str(act["text"]), thread)])


async def _teams_token(conn: Connection) -> str:
    resp = await http.call(
        "teams",
        "POST",
        conn.config["token_url"],
        data={
            "grant_type": "client_credentials",
            "client_id": conn.credentials["app_id"],
            "client_secret": conn.credentials["app_password"],
            "scope": "https://api.botframework.com/.default",
        },
    )
    return str(resp.json()["access_token"])


async def _teams_reply(conn: Connection, msg: InboundMessage, text: str) -> None:
    t = msg.thread
    url = f"{t['service_url'].rstrip('/')}/v3/conversations/{t['conversation']}/activities/{t['activity_id']}"
    body = {"type": "message", "text": text, "replyToId": t["activity_id"]}
    await http.call("teams", "POST", url, json=body, headers={"Authorization": f"Bearer {await _teams_token(conn)}"})


async def _teams_test(conn: Connection) -> None:
    await _teams_token(conn)
    if conn.config.get("auth", "bot_framework") == "outgoing_webhook":
        if not conn.credentials.get("security_token"):
            raise http.ConnectorError("teams", None, "outgoing_webhook auth needs a security_token")
    else:
        await botframework.signing_keys(conn.config.get("openid_metadata_url") or botframework.METADATA_URL)


# --- Web chat widget -------------------------------------------------------------------------


class WidgetConfig(Schema):
    agent: str = AgentRef
    allowed_origins: list[str] = Field(min_length=1, max_length=50, description="e.g. https://www.example.com")
    title: str = Field(default="Chat with us", max_length=100)


async def _no_test(_conn: Connection) -> None:
    return None


register(
    ConnectorType(
        "slack", "Slack", ("inbound_channel",), SlackCredentials, SlackConfig, _slack_test,
        _slack_verify, _slack_parse, _slack_reply, signature_header="X-Slack-Signature",
    )
)  # fmt: skip
register(
    ConnectorType(
        "whatsapp", "WhatsApp Business", ("inbound_channel",), WhatsAppCredentials, WhatsAppConfig, _wa_test,
        _wa_verify, _wa_parse, _wa_reply, signature_header="X-Hub-Signature-256",
    )
)  # fmt: skip
register(
    ConnectorType(
        "twilio", "Twilio SMS", ("inbound_channel",), TwilioCredentials, TwilioConfig, _twilio_test,
        _twilio_verify, _twilio_parse, _twilio_reply, signature_header="X-Twilio-Signature",
    )
)  # fmt: skip
register(
    ConnectorType(
        "teams", "Microsoft Teams", ("inbound_channel",), TeamsCredentials, TeamsConfig, _teams_test,
        _teams_verify, _teams_parse, _teams_reply, signature_header="Authorization",
    )
)  # fmt: skip
register(ConnectorType("web_widget", "Web chat widget", ("inbound_channel",), EmptySchema, WidgetConfig, _no_test))
