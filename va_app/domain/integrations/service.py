"""Connect, list, check and disconnect integrations.

Credentials are validated against the connector's schema, tested against the provider, and
stored Fernet-encrypted (``va_app.domain.identity.secrets``); they are never returned, and the views
below only say *which* credential fields are set. Workers load a decrypted
:class:`Connection` through a short in-process cache, because decrypting and querying per
inbound message would dominate the webhook path.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError

from core import db
from models.repositories import integrations as repo
from va_app.domain.errors import InvalidInput, NotFound, Unavailable
from va_app.domain.identity.audit import audit
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.identity.secrets import decrypt, encrypt
from va_app.domain.integrations.catalog import connector
from va_app.domain.integrations.http import ConnectorError
from va_app.domain.integrations.registry import Connection, ConnectorType

log = logging.getLogger(__name__)
CACHE_TTL_S = 10.0
_cache: dict[uuid.UUID, tuple[float, Connection | None]] = {}


@dataclass(frozen=True)
class IntegrationView:
    id: str
    kind: str
    name: str
    capabilities: list[str]
    config: dict[str, Any]
    credential_fields: list[str]  # which are set, never their values
    status: str
    webhook_path: str | None
    widget_key: str | None
    created_at: dt.datetime


@dataclass(frozen=True)
class SyncStatus:
    id: str
    kind: str
    name: str
    status: str
    last_sync_at: dt.datetime | None
    last_event_at: dt.datetime | None
    events_received: int
    error_count: int
    last_error: str | None
    backlog: int


def _ctype(kind: str) -> ConnectorType:
    found = connector(kind)
    if found is None:
        raise InvalidInput(f"kind: unknown connector '{kind}'")
    return found


def _validated(schema: Any, data: dict[str, Any], what: str) -> dict[str, Any]:
    try:
        return dict(schema.model_validate(data).model_dump())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidInput(f"{what}.{where}: {first.get('msg', 'invalid')}") from None


def widget_key(integration_id: uuid.UUID, config: dict[str, Any]) -> str:
    """Public by design (it sits in a web page); the allowed origins are what restrict it."""
    return f"vaw_{integration_id.hex}_{config.get('widget_nonce', '')}"


def _view(row: Any) -> IntegrationView:
    ctype = connector(row.kind)
    config = {k: v for k, v in (row.config or {}).items() if k != "widget_nonce"}
    fields = sorted(orjson.loads(decrypt(row.credentials_enc)).keys())
    inbound = ctype is not None and ctype.parse is not None
    return IntegrationView(
        id=str(row.id),
        kind=row.kind,
        name=row.name,
        capabilities=list(ctype.capabilities) if ctype else [],
        config=config,
        credential_fields=fields,
        status=row.status,
        webhook_path=f"/api/v1/integrations/webhook/{row.id}" if inbound else None,
        widget_key=widget_key(row.id, row.config) if row.kind == "web_widget" else None,
        created_at=row.created_at,
    )


async def connect(
    principal: Principal,
    *,
    kind: str,
    name: str,
    credentials: dict[str, Any],
    config: dict[str, Any],
    test: bool = True,
) -> IntegrationView:
    """Validate, test against the provider, then store (encrypted)."""
    principal.require(Perm.INTEGRATIONS_WRITE)
    ctype = _ctype(kind)
    creds = _validated(ctype.credentials, credentials, "credentials")
    conf = _validated(ctype.config, config, "config")
    if kind == "web_widget":
        conf["widget_nonce"] = uuid.uuid4().hex[:12]
    if test:
        probe = Connection(uuid.uuid4(), principal.tenant_id, kind, name, conf, creds)
        try:
            await ctype.test_connection(probe)
        except ConnectorError as exc:
            raise InvalidInput(f"test_connection failed: {exc.message}") from None
    async with db.session_scope() as session:
        row = await repo.create_integration(
            session=session,
            tenant_id=principal.tenant_id,
            kind=kind,
            name=name,
            credentials_enc=encrypt(orjson.dumps(creds).decode()),
            config=conf,
        )
        await audit(
            session, principal, "integration.connect", "integration", row.id, after={"kind": kind, "name": name}
        )
        return _view(row)


async def list_integrations(principal: Principal) -> list[IntegrationView]:
    principal.require(Perm.INTEGRATIONS_READ)
    async with db.session_scope() as session:
        return [_view(r) for r in await repo.list_integrations(session=session, tenant_id=principal.tenant_id)]


async def sync_status(principal: Principal) -> list[SyncStatus]:
    """Per integration: last event/sync, errors, and the backlog still to be handled."""
    principal.require(Perm.INTEGRATIONS_READ)
    from va_app.domain.integrations import worker  # the worker's lag is process state, read lazily

    lag = await worker.backlog()
    async with db.session_scope() as session:
        rows = await repo.list_integrations(session=session, tenant_id=principal.tenant_id)
        pending = await repo.backlog_by_tenant(session=session, tenant_id=principal.tenant_id)
    return [
        SyncStatus(
            id=str(r.id),
            kind=r.kind,
            name=r.name,
            status=r.status,
            last_sync_at=r.last_sync_at,
            last_event_at=r.last_event_at,
            events_received=r.events_received,
            error_count=r.error_count,
            last_error=r.last_error,
            backlog=lag + pending if (ctype := connector(r.kind)) and ctype.parse else pending,
        )
        for r in rows
    ]


async def disconnect(principal: Principal, integration_id: uuid.UUID) -> None:
    principal.require(Perm.INTEGRATIONS_WRITE)
    async with db.session_scope() as session:
        if not await repo.delete_integration(
            session=session, tenant_id=principal.tenant_id, integration_id=integration_id
        ):
            raise NotFound("integration not found")
        await audit(session, principal, "integration.disconnect", "integration", integration_id)
    _cache.pop(integration_id, None)


async def load_connection(integration_id: uuid.UUID, tenant_id: uuid.UUID | None = None) -> Connection | None:
    """The decrypted connection, cached a few seconds; ``tenant_id`` scopes it when known."""
    now = time.monotonic()
    found = _cache.get(integration_id)
    if found is None or found[0] < now:
        async with db.session_scope() as session:
            row = await repo.find_integration_by_id(session=session, integration_id=integration_id)
            conn = None
            if row is not None:
                creds = orjson.loads(decrypt(row.credentials_enc))
                conn = Connection(row.id, row.tenant_id, row.kind, row.name, dict(row.config or {}), creds)
        if len(_cache) > 10_000:
            _cache.clear()
        found = _cache[integration_id] = (now + CACHE_TTL_S, conn)
    conn = found[1]
    if conn is not None and tenant_id is not None and conn.tenant_id != tenant_id:
        return None
    return conn


async def tenant_connections(tenant_id: uuid.UUID) -> list[Connection]:
    async with db.session_scope() as session:
        rows = await repo.list_integrations(session=session, tenant_id=tenant_id)
    return [c for r in rows if (c := await load_connection(r.id, tenant_id)) is not None]


async def record_event(conn: Connection, error: str | None = None) -> None:
    """Best effort: the counters feed the status page, they must never fail a delivery."""
    try:
        async with db.session_scope() as session:
            await repo.record_integration_event(
                session=session, tenant_id=conn.tenant_id, integration_id=conn.id, error=error
            )
    except Exception:
        log.exception("could not record integration event", extra={"integration_id": str(conn.id)})


async def run_action(
    principal: Principal,
    integration_id: uuid.UUID,
    action: str,
    params: dict[str, Any],
    allowed_actions: list[str] | None = None,
) -> dict[str, Any]:
    """Call one action; with ``allowed_actions`` (an agent version's list) it must be declared there,
    as ``action`` or ``<kind>.<action>``."""
    principal.require(Perm.INTEGRATIONS_WRITE)
    conn = await load_connection(integration_id, principal.tenant_id)
    if conn is None:
        raise NotFound("integration not found")
    fn = _ctype(conn.kind).actions.get(action)
    if fn is None:
        raise InvalidInput(f"action: '{conn.kind}' has no action '{action}'")
    if allowed_actions is not None and not {action, f"{conn.kind}.{action}"} & set(allowed_actions):
        from va_app.domain.errors import PermissionDenied

        raise PermissionDenied(f"this agent version does not declare the action '{action}' in allowed_actions")
    try:
        result = await fn(conn, params)
    except ConnectorError as exc:
        await record_event(conn, exc.message)
        raise Unavailable(exc.message) from None
    await record_event(conn)
    return result
