"""State of the integrations page: the connector catalogue, the connect dialog and the connected list.

The connect form is built from the connector type's declared credential and config schemas
(``ConnectorType.describe``), so a new connector needs no console code: string credentials
that look secret become password inputs, ``Literal`` fields become selects, booleans
switches and lists comma-separated text. ``va_app.domain.integrations.service.connect`` validates,
tests the connection against the provider and stores the credentials encrypted; the page
only shows which credential fields are set, never their values.

The connected list merges ``list_integrations`` with ``sync_status`` (last sync, errors,
backlog) and refreshes itself while the page is open (``LiveState``: the reads run outside
the state lock).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any, ClassVar, TypedDict

import orjson
import reflex as rx
from reflex.event import EventSpec

from va_app.console import routes
from va_app.console.states.auth import AuthState, error_text, readable
from va_app.console.states.formatting import stamp
from va_app.console.states.live import LiveState, failure_text
from va_app.domain.errors import DomainError, InvalidInput, NotFound
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.integrations.catalog import all_types, connector
from va_app.domain.integrations.http import ConnectorError
from va_app.domain.integrations.service import connect, disconnect, list_integrations, load_connection, sync_status

REFRESH_S = 10.0
# Credential fields whose value is a secret: typed into a password input, never echoed.
_SECRET = re.compile(r"token|secret|password|key", re.IGNORECASE)
_NOT_SECRET = {"header_name"}
_ACRONYMS = {"api": "API", "url": "URL", "id": "ID", "sid": "SID", "http": "HTTP"}
CAPABILITY_LABELS = {
    "inbound_channel": "inbound channel",
    "outbound_action": "actions",
    "sync": "sync",
    "ticket": "tickets",
}


class FieldSpec(TypedDict):
    """One input of the connect form, derived from a JSON-schema property."""

    key: str  # form field name: ``credentials.<name>`` or ``config.<name>``
    label: str
    kind: str  # text | password | select | bool | list | json | number
    required: bool
    placeholder: str
    hint: str
    options: list[str]
    default: str
    checked: bool


class ConnectorRow(TypedDict):
    """One connector type of the catalogue."""

    kind: str
    title: str
    capabilities: list[str]
    credential_fields: list[str]
    config_fields: list[str]
    actions: list[str]


class IntegrationRow(TypedDict):
    """One connected integration with its sync status (no credential values)."""

    id: str
    kind: str
    title: str
    name: str
    status: str
    created: str
    last_sync: str
    last_event: str
    events: int
    errors: int
    last_error: str
    backlog: int
    credential_fields: str
    config: str
    endpoint: str  # inbound webhook path or widget key, what the provider side needs
    test_result: str
    test_ok: bool


def _label(name: str) -> str:
    words = [_ACRONYMS.get(w, w) for w in name.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _field(section: str, name: str, prop: dict[str, Any], required: bool) -> FieldSpec:
    """The input for one schema property; unknown shapes fall back to JSON text."""
    kind, options = "text", []
    items = prop.get("items") or {}
    default = prop.get("default")
    if "enum" in prop:
        kind, options = "select", [str(o) for o in prop["enum"]]
    elif prop.get("type") == "boolean":
        kind = "bool"
    elif prop.get("type") in ("integer", "number"):
        kind = "number"
    elif prop.get("type") == "array":
        kind = "list"
        if "enum" in items:
            options = [str(o) for o in items["enum"]]
    elif prop.get("type") == "object" or "type" not in prop:
        kind = "json"
    elif section == "credentials" and _SECRET.search(name) and name not in _NOT_SECRET:
        kind = "password"
    hint = str(prop.get("description", ""))
    if kind == "list":
        hint = "; ".join(x for x in (hint, "comma-separated" + (f": {', '.join(options)}" if options else "")) if x)
    if kind == "json":
        hint = "; ".join(x for x in (hint, 'a JSON object, e.g. {"X-Team": "support"}') if x)
    if isinstance(default, list):
        placeholder = ", ".join(str(d) for d in default) or (", ".join(options) if options else "")
    elif default not in (None, "") and kind not in ("bool", "select"):
        placeholder = str(default)
    else:
        placeholder = ""
    return FieldSpec(
        key=f"{section}.{name}",
        label=_label(name),
        kind=kind,
        required=required,
        placeholder=placeholder,
        hint=readable(hint) if hint else "",
        options=options,
        default=str(default)
        if default is not None and kind == "select"
        else (options[0] if options and kind == "select" else ""),
        checked=bool(default) if kind == "bool" else False,
    )


def _fields(section: str, schema: dict[str, Any]) -> list[FieldSpec]:
    required = set(schema.get("required", []))
    props: dict[str, Any] = schema.get("properties", {})
    # Required fields first, in declaration order, then the optional ones.
    ordered = [n for n in props if n in required] + [n for n in props if n not in required]
    return [_field(section, n, props[n], n in required) for n in ordered]


def _form_fields(kind: str) -> list[FieldSpec]:
    ctype = connector(kind)
    if ctype is None:
        return []
    info = ctype.describe()
    return [*_fields("credentials", info["credentials_schema"]), *_fields("config", info["config_schema"])]


def _catalogue() -> list[ConnectorRow]:
    rows = []
    for ctype in all_types():
        info = ctype.describe()
        rows.append(
            ConnectorRow(
                kind=ctype.kind,
                title=ctype.title,
                capabilities=[CAPABILITY_LABELS.get(c, c) for c in ctype.capabilities] or ["notifications"],
                credential_fields=list(info["credentials_schema"].get("properties", {})),
                config_fields=list(info["config_schema"].get("properties", {})),
                actions=list(info["actions"]),
            )
        )
    return rows


def _value(spec: FieldSpec, raw: Any) -> Any:
    """A form string as the type the schema wants; ``None``: leave it out (the default applies)."""
    text = str(raw if raw is not None else "").strip()
    kind = spec["kind"]
    if kind == "bool":
        return text in ("on", "true", "True", "1")
    if not text:
        return None
    if kind == "list":
        return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]
    if kind == "number":
        try:
            return float(text) if "." in text else int(text)
        except ValueError:
            raise InvalidInput(f"{spec['label']}: must be a number") from None
    if kind == "json":
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise InvalidInput(f"{spec['label']}: must be a JSON object") from None
        if not isinstance(value, dict):
            raise InvalidInput(f"{spec['label']}: must be a JSON object")
        return value
    return text


def connect_error(exc: DomainError, fields: list[FieldSpec]) -> str:
    """A refusal of the connect service as a sentence, naming the form's label for a field."""
    message = exc.message
    if message.startswith("test_connection failed: "):
        return readable(
            "The connection test failed, nothing was saved: " + message.removeprefix("test_connection failed: ")
        )
    for spec in fields:
        if message.startswith(spec["key"] + ":"):
            return readable(f"{spec['label']}: {message.split(':', 1)[1].strip().lower()}")
    return error_text(exc)


def _rows(views: list[Any], statuses: list[Any], tests: dict[str, tuple[bool, str]]) -> list[IntegrationRow]:
    by_id = {s.id: s for s in statuses}
    rows = []
    for v in views:
        s = by_id.get(v.id)
        ctype = connector(v.kind)
        ok, result = tests.get(v.id, (False, ""))
        rows.append(
            IntegrationRow(
                id=v.id,
                kind=v.kind,
                title=ctype.title if ctype else v.kind,
                name=v.name,
                status=s.status if s else v.status,
                created=stamp(v.created_at),
                last_sync=stamp(s.last_sync_at) if s else "",
                last_event=stamp(s.last_event_at) if s else "",
                events=s.events_received if s else 0,
                errors=s.error_count if s else 0,
                last_error=(s.last_error or "") if s else "",
                backlog=s.backlog if s else 0,
                credential_fields=", ".join(v.credential_fields) or "none",
                config=", ".join(f"{k}={val}" for k, val in sorted(v.config.items()) if val not in ("", [], {}, None))[
                    :300
                ],
                endpoint=v.webhook_path or v.widget_key or "",
                test_result=result,
                test_ok=ok,
            )
        )
    return rows


class IntegrationsState(LiveState, AuthState):
    """Catalogue, connected integrations with status, and the connect / disconnect dialogs."""

    LIVE_ROUTE: ClassVar[str] = routes.INTEGRATIONS
    LIVE_INTERVAL_S: ClassVar[float] = REFRESH_S

    connectors: rx.Field[list[ConnectorRow]] = rx.field(default_factory=list)
    integrations: rx.Field[list[IntegrationRow]] = rx.field(default_factory=list)
    loaded: rx.Field[bool] = rx.field(False)
    load_error: rx.Field[str] = rx.field("")
    refresh_error: rx.Field[str] = rx.field("")

    connect_kind: rx.Field[str] = rx.field("")
    connect_title: rx.Field[str] = rx.field("")
    connect_fields: rx.Field[list[FieldSpec]] = rx.field(default_factory=list)
    connect_error: rx.Field[str] = rx.field("")
    connecting: rx.Field[bool] = rx.field(False)
    # The outcome of the last connect, shown above the table until dismissed.
    connect_result: rx.Field[str] = rx.field("")
    connect_endpoint: rx.Field[str] = rx.field("")

    testing_id: rx.Field[str] = rx.field("")
    pending_id: rx.Field[str] = rx.field("")
    pending_name: rx.Field[str] = rx.field("")

    _tests: dict[str, tuple[bool, str]] = {}
    # Bumped by every connect/disconnect: a background reading that began before one is stale
    # (it would bring a disconnected row back for a few seconds) and is dropped.
    _changes: int = 0

    @rx.var
    def can_write(self) -> bool:
        """Show connect, test and disconnect (the services check ``integrations:write`` again)."""
        return Perm.INTEGRATIONS_WRITE.value in self.permissions

    @rx.var
    def connect_open(self) -> bool:
        return self.connect_kind != ""

    @rx.var
    def confirm_open(self) -> bool:
        return self.pending_id != ""

    async def _fetch(self, principal: Any) -> tuple[list[Any], list[Any]]:
        return await list_integrations(principal), await sync_status(principal)

    def _apply(self, views: list[Any], statuses: list[Any]) -> None:
        self.integrations = _rows(views, statuses, self._tests)
        if not self.connectors:
            self.connectors = _catalogue()
        self.loaded, self.load_error, self.refresh_error = True, "", ""

    def _live_begin(self) -> int:
        return self._changes

    async def _live_read(self, principal: Principal, _begun: int) -> tuple[list[Any], list[Any]]:
        return await self._fetch(principal)

    def _live_apply(self, reading: tuple[list[Any], list[Any]], begun: int) -> bool:
        if begun == self._changes:  # no connect or disconnect meanwhile
            self._apply(*reading)
        return True

    def _live_failed(self, exc: Exception) -> bool:
        """A lost permission ends the refresh; a database briefly away keeps the last reading."""
        self.loaded = True
        if isinstance(exc, DomainError) and exc.code == "permission_denied":
            self.load_error, self.integrations = error_text(exc), []
            return False
        self.refresh_error = failure_text(exc, "the integrations", REFRESH_S)
        return True

    async def _reload(self, principal: Any) -> None:
        self._changes += 1
        views, statuses = await self._fetch(principal)
        self._apply(views, statuses)

    @rx.event
    def open_connect(self, kind: str) -> None:
        """Open the connect dialog with the form of one connector type."""
        ctype = connector(kind)
        if ctype is None:
            return
        self.connect_kind, self.connect_title = kind, ctype.title
        self.connect_fields = _form_fields(kind)
        self.connect_error = ""

    @rx.event
    def set_connect_open(self, value: bool) -> None:
        if not value and not self.connecting:
            self.connect_kind = self.connect_title = self.connect_error = ""
            self.connect_fields = []

    @rx.event
    def dismiss_result(self) -> None:
        self.connect_result = self.connect_endpoint = ""

    @rx.event
    async def submit_connect(self, form: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        """Validate the form, let the service test and store the integration, and say how it went."""
        name = str(form.get("name", "")).strip()
        if not name:
            self.connect_error = "Give the integration a name, e.g. the workspace or team it connects."
            return
        fields = list(self.connect_fields)
        credentials: dict[str, Any] = {}
        config: dict[str, Any] = {}
        try:
            for spec in fields:
                value = _value(spec, form.get(spec["key"]))
                if value is None:
                    continue
                section, field_name = spec["key"].split(".", 1)
                (credentials if section == "credentials" else config)[field_name] = value
        except InvalidInput as exc:
            self.connect_error = error_text(exc)
            return
        self.connecting, self.connect_error = True, ""
        yield None
        try:
            principal = await self._principal()
            view = await connect(principal, kind=self.connect_kind, name=name, credentials=credentials, config=config)
        except DomainError as exc:
            self.connecting = False
            if exc.code in ("invalid_input", "permission_denied"):
                self.connect_error = connect_error(exc, fields)
                return
            yield self._failed(exc)
            return
        self.connecting = False
        title = self.connect_title
        self.connect_kind = self.connect_title = ""
        self.connect_fields = []
        self._tests[view.id] = (True, f"Passed on connect, {stamp(dt.datetime.now(dt.UTC))} UTC")
        self.connect_result = (
            f"“{name}” ({title}) is connected: the connection test passed and the credentials are stored encrypted."
        )
        self.connect_endpoint = view.webhook_path or view.widget_key or ""
        try:
            await self._reload(principal)
        except DomainError as exc:
            yield self._failed(exc)
            return
        yield rx.toast.success(f"Connected “{name}”.")

    @rx.event
    async def test_connection(self, integration_id: str) -> AsyncIterator[EventSpec | None]:
        """Call the provider with the stored credentials, as connect did; the result stays on the row."""
        self.testing_id = integration_id
        yield None
        try:
            principal = await self._principal()
            principal.require(Perm.INTEGRATIONS_WRITE)
            conn = await load_connection(uuid.UUID(integration_id), principal.tenant_id)
            ctype = connector(conn.kind) if conn is not None else None
            if conn is None or ctype is None:
                raise NotFound("integration not found")
        except DomainError as exc:
            self.testing_id = ""
            yield self._failed(exc)
            return
        at = stamp(dt.datetime.now(dt.UTC))
        try:
            await ctype.test_connection(conn)
            ok, result = True, f"Passed, {at} UTC"
        except ConnectorError as exc:
            ok, result = False, readable(f"Failed, {at} UTC: {exc.message}")
        except DomainError as exc:
            ok, result = False, f"Failed, {at} UTC: {error_text(exc)}"
        self._tests[integration_id] = (ok, result)
        self.integrations = [
            {**row, "test_ok": ok, "test_result": result} if row["id"] == integration_id else row  # type: ignore[typeddict-item]
            for row in self.integrations
        ]
        self.testing_id = ""
        yield rx.toast.success("Connection test passed.") if ok else rx.toast.error(result, close_button=True)

    @rx.event
    def ask_disconnect(self, integration_id: str, name: str) -> None:
        self.pending_id, self.pending_name = integration_id, name

    @rx.event
    def cancel(self) -> None:
        self.pending_id = self.pending_name = ""

    @rx.event
    async def confirm_disconnect(self) -> EventSpec | None:
        """Disconnect: the stored credentials are deleted and inbound webhooks stop being accepted."""
        integration_id, name = self.pending_id, self.pending_name
        self.pending_id = self.pending_name = ""
        try:
            principal = await self._principal()
            await disconnect(principal, uuid.UUID(integration_id))
        except DomainError as exc:
            return self._failed(exc)
        self._tests.pop(integration_id, None)
        self._changes += 1
        self.integrations = [r for r in self.integrations if r["id"] != integration_id]
        return rx.toast.success(f"“{name}” was disconnected; its credentials are deleted.")
