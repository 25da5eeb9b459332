"""CRM and helpdesk actions: Salesforce (leads, cases), HubSpot (contacts, tickets), Zendesk
(tickets) and a generic REST call. Each action takes plain ``params`` and returns the
provider's id, so the handoff flow and agents call them the same way.

``create_ticket`` exists on every ticket-capable connector: a human handoff needs only "a
ticket somewhere", whichever helpdesk the tenant connected.
"""

from __future__ import annotations

import re
import time
import urllib.parse
import uuid
from typing import Any, Literal

import orjson
from pydantic import Field

from va_app.domain.errors import InvalidInput
from va_app.domain.integrations import http
from va_app.domain.integrations.registry import Action, Capability, Connection, ConnectorType, Schema, register

# --- Salesforce (REST API, OAuth2 client credentials) -----------------------------------------


class SalesforceCredentials(Schema):
    client_id: str = Field(min_length=1, max_length=500)
    client_secret: str = Field(min_length=1, max_length=500)


class SalesforceConfig(Schema):
    login_url: str = Field(description="the org's My Domain URL, e.g. https://acme.my.salesforce.com")
    api_version: str = "v60.0"
    handoff: bool = Field(default=False, description="open a case for every human handoff")
    case_origin: str = "Chat"


_sf_tokens: dict[uuid.UUID, tuple[float, str, str]] = {}


async def _sf_token(conn: Connection, *, fresh: bool = False) -> tuple[str, str]:
    """(access token, instance URL), cached until it fails: a token call per action would double latency."""
    found = _sf_tokens.get(conn.id)
    if found and not fresh and found[0] > time.monotonic():
        return found[1], found[2]
    resp = await http.call(
        "salesforce",
        "POST",
        f"{conn.config['login_url'].rstrip('/')}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": conn.credentials["client_id"],
            "client_secret": conn.credentials["client_secret"],
        },
    )
    data = resp.json()
    token, instance = str(data["access_token"]), str(data.get("instance_url") or conn.config["login_url"])
    _sf_tokens[conn.id] = (time.monotonic() + 1800, token, instance.rstrip("/"))
    return token, instance.rstrip("/")


async def _sf(conn: Connection, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    for attempt in (0, 1):
        token, instance = await _sf_token(conn, fresh=attempt == 1)
        url = f"{instance}/services/data/{conn.config['api_version']}/{path}"
        try:
            resp = await http.call("salesforce", method, url, json=body, headers={"Authorization": f"Bearer {token}"})
        except http.ConnectorError as exc:
            if exc.status == 401 and attempt == 0:  # expired token: fetch one and retry once
                continue
            raise
        return resp.json() if resp.content else {}
    raise http.ConnectorError("salesforce", 401, "token refused")


def _fields(params: dict[str, Any]) -> dict[str, Any]:
    return dict(params.get("fields") or {})


async def _sf_create_lead(conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
    body = {"LastName": params.get("last_name") or "Unknown", "Company": params.get("company") or "Unknown"}
    body |= {k: v for k, v in {"FirstName": params.get("first_name"), "Email": params.get("email")}.items() if v}
    data = await _sf(conn, "POST", "sobjects/Lead", body | _fields(params))
    return {"id": data.get("id"), "object": "Lead"}


async def _sf_update(obj: str, conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
    record_id = str(params.get("id") or "")
    if not re.fullmatch(r"[A-Za-z0-9]{15,18}", record_id):
        raise InvalidInput("id: a Salesforce record id (15 or 18 letters and digits)")
    await _sf(conn, "PATCH", f"sobjects/{obj}/{record_id}", _fields(params))
    return {"id": record_id, "object": obj}


async def _sf_update_lead(conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
    return await _sf_update("Lead", conn, params)


async def _sf_update_case(conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
    return await _sf_update("Case", conn, params)


async def _sf_create_case(conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
    body = {
        "Subject": str(params.get("subject") or "Conversation handed off")[:255],
        "Description": str(params.get("description") or "")[:32000],
        "Origin": conn.config.get("case_origin", "Chat"),
    }
    data = await _sf(conn, "POST", "sobjects/Case", body | _fields(params))
    return {"id": data.get("id"), "object": "Case"}


async def _sf_test(conn: Connection) -> None:
    await _sf_token(conn, fresh=True)


# --- HubSpot (CRM v3, private app token) ------------------------------------------------------


class HubSpotCredentials(Schema):
    access_token: str = Field(min_length=1, max_length=500)


class HubSpotConfig(Schema):
    api_base: str = "https://api.hubapi.com"
    handoff: bool = False
    ticket_pipeline: str = "0"
    ticket_stage: str = "1"


async def _hs(conn: Connection, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    resp = await http.call(
        "hubspot",
        method,
        f"{conn.config['api_base'].rstrip('/')}{path}",
        json=body,
        headers={"Authorization": f"Bearer {conn.credentials['access_token']}"},
    )
    return resp.json() if resp.content else {}


async def _hs_create_contact(conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
    props = {k: params[k] for k in ("email", "firstname", "lastname", "phone") if params.get(k)} | _fields(params)
    data = await _hs(conn, "POST", "/crm/v3/objects/contacts", {"properties": props})
    return {"id": data.get("id"), "object": "contact"}


async def _hs_update_contact(conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
    contact_id = urllib.parse.quote(str(params.get("id") or ""), safe="")
    if not contact_id:
        raise InvalidInput("id: the HubSpot contact id")
    await _hs(conn, "PATCH", f"/crm/v3/objects/contacts/{contact_id}", {"properties": _fields(params)})
    return {"id": params["id"], "object": "contact"}


async def _hs_create_ticket(conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
    props = {
        "subject": str(params.get("subject") or "Conversation handed off"),
        "content": str(params.get("description") or ""),
        "hs_pipeline": conn.config.get("ticket_pipeline", "0"),
        "hs_pipeline_stage": conn.config.get("ticket_stage", "1"),
    } | _fields(params)
    data = await _hs(conn, "POST", "/crm/v3/objects/tickets", {"properties": props})
    return {"id": data.get("id"), "object": "ticket"}


async def _hs_test(conn: Connection) -> None:
    await _hs(conn, "GET", "/crm/v3/objects/contacts?limit=1")


# --- Zendesk (Support API, API token) ---------------------------------------------------------


class ZendeskCredentials(Schema):
    email: str = Field(min_length=3, max_length=320)
    api_token: str = Field(min_length=1, max_length=500)


class ZendeskConfig(Schema):
    base_url: str = Field(description="https://<subdomain>.zendesk.com")
    handoff: bool = False


async def _zd(conn: Connection, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    auth = (f"{conn.credentials['email']}/token", conn.credentials["api_token"])
    resp = await http.call("zendesk", method, f"{conn.config['base_url'].rstrip('/')}{path}", json=body, auth=auth)
    return resp.json() if resp.content else {}


async def _zd_create_ticket(conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
    ticket = {
        "subject": str(params.get("subject") or "Conversation handed off"),
        "comment": {"body": str(params.get("description") or "(no transcript)")},
        "tags": ["virtualagent", *list(params.get("tags") or [])],
    } | _fields(params)
    data = await _zd(conn, "POST", "/api/v2/tickets.json", {"ticket": ticket})
    return {"id": (data.get("ticket") or {}).get("id"), "object": "ticket"}


async def _zd_update_ticket(conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
    ticket_id = str(params.get("id") or "")
    if not ticket_id.isdigit():
        raise InvalidInput("id: the numeric Zendesk ticket id")
    ticket = _fields(params) | ({"comment": {"body": params["comment"]}} if params.get("comment") else {})
    await _zd(conn, "PUT", f"/api/v2/tickets/{ticket_id}.json", {"ticket": ticket})
    return {"id": int(ticket_id), "object": "ticket"}


async def _zd_test(conn: Connection) -> None:
    await _zd(conn, "GET", "/api/v2/users/me.json")


# --- Generic REST -----------------------------------------------------------------------------


class RestCredentials(Schema):
    auth: Literal["none", "bearer", "basic", "header"] = "none"
    token: str = Field(default="", max_length=2000)
    username: str = Field(default="", max_length=200)
    password: str = Field(default="", max_length=500)
    header_name: str = Field(default="X-API-Key", max_length=100)


class RestConfig(Schema):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    url_template: str = Field(max_length=2000, description="placeholders {name} are URL-quoted params")
    headers: dict[str, str] = Field(default_factory=dict)
    body_template: str = Field(default="", max_length=20000, description='JSON; "{{name}}" becomes a param')
    test_url: str = Field(default="", max_length=2000)
    handoff: bool = False


_PLACEHOLDER = re.compile(r'"\{\{(\w+)\}\}"')


def render_body(template: str, params: dict[str, Any]) -> Any:
    """Fill ``"{{name}}"`` with the JSON of ``params[name]``: values are encoded, never spliced as text."""
    if not template:
        return None
    filled = _PLACEHOLDER.sub(lambda m: orjson.dumps(params.get(m.group(1))).decode(), template)
    try:
        return orjson.loads(filled)
    except orjson.JSONDecodeError:
        raise InvalidInput("body_template does not render to JSON") from None


def render_url(template: str, params: dict[str, Any]) -> str:
    class _Quoted(dict[str, Any]):
        def __missing__(self, key: str) -> str:
            raise InvalidInput(f"url_template needs param '{key}'")

    quoted = _Quoted({k: urllib.parse.quote(str(v), safe="") for k, v in params.items()})
    return template.format_map(quoted)


def _rest_auth(conn: Connection) -> dict[str, Any]:
    c = conn.credentials
    if c.get("auth") == "bearer":
        return {"headers": {"Authorization": f"Bearer {c['token']}"}}
    if c.get("auth") == "header":
        return {"headers": {c.get("header_name") or "X-API-Key": c["token"]}}
    if c.get("auth") == "basic":
        return {"auth": (c["username"], c["password"])}
    return {}


async def _rest_call(conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
    auth = _rest_auth(conn)
    headers = dict(conn.config.get("headers") or {}) | auth.pop("headers", {})
    body = render_body(conn.config.get("body_template", ""), params)
    url = render_url(conn.config["url_template"], params)
    resp = await http.call("rest", conn.config.get("method", "POST"), url, json=body, headers=headers, **auth)
    try:
        data: Any = resp.json() if resp.content else None
    except ValueError:
        data = resp.text[:2000]
    return {"status": resp.status_code, "data": data}


async def _rest_test(conn: Connection) -> None:
    if conn.config.get("test_url"):
        auth = _rest_auth(conn)
        await http.call("rest", "GET", conn.config["test_url"], **auth)


_SF: dict[str, Action] = {
    "create_lead": _sf_create_lead,
    "update_lead": _sf_update_lead,
    "create_case": _sf_create_case,
    "update_case": _sf_update_case,
    "create_ticket": _sf_create_case,
}
_HS: dict[str, Action] = {
    "create_contact": _hs_create_contact,
    "update_contact": _hs_update_contact,
    "create_ticket": _hs_create_ticket,
}
_ZD: dict[str, Action] = {"create_ticket": _zd_create_ticket, "update_ticket": _zd_update_ticket}
_CAPS: tuple[Capability, ...] = ("outbound_action", "ticket")
register(
    ConnectorType("salesforce", "Salesforce", _CAPS, SalesforceCredentials, SalesforceConfig, _sf_test, actions=_SF)
)
register(ConnectorType("hubspot", "HubSpot", _CAPS, HubSpotCredentials, HubSpotConfig, _hs_test, actions=_HS))
register(ConnectorType("zendesk", "Zendesk", _CAPS, ZendeskCredentials, ZendeskConfig, _zd_test, actions=_ZD))
_REST: dict[str, Action] = {"call": _rest_call}
register(
    ConnectorType("rest", "REST call", ("outbound_action",), RestCredentials, RestConfig, _rest_test, actions=_REST)
)
