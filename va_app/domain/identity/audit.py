"""Record every mutation: who, tenant, action, target, before/after, IP, user agent, request id.

Values are passed through :func:`redact` so a secret can never reach the trail even if a
caller hands over a whole object.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from core import db
from core.logs import client_var, request_id_var
from models.audit import AuditLog
from models.repositories import audit as audit_repo
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.pagination import decode_cursor, encode_cursor

_SECRET_MARKERS = ("secret", "password", "token", "hash", "credential", "totp", "recovery", "api_key")


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: ("[redacted]" if any(m in k.lower() for m in _SECRET_MARKERS) else redact(v)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


async def audit(
    session: AsyncSession,
    principal: Principal,
    action: str,
    target_type: str,
    target_id: str | uuid.UUID | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    tenant_id: uuid.UUID | None = None,
) -> None:
    ip, user_agent = client_var.get()
    await audit_repo.record(
        session=session,
        tenant_id=tenant_id or principal.tenant_id,
        actor_type=principal.actor_type,
        actor_id=principal.actor_id,
        actor_label=principal.label,
        action=action,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        before=redact(before) if before is not None else None,
        after=redact(after) if after is not None else None,
        ip=ip,
        user_agent=user_agent,
        request_id=request_id_var.get(),
    )


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor_id: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def entry_dict(entry: AuditLog) -> dict[str, Any]:
    return {
        "id": str(entry.id),
        "created_at": entry.created_at,
        "actor_type": entry.actor_type,
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "before": entry.before,
        "after": entry.after,
        "ip": entry.ip,
        "user_agent": entry.user_agent,
        "request_id": entry.request_id,
    }


async def list_audit(
    principal: Principal, filters: AuditFilter, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    principal.require(Perm.AUDIT_READ)
    after = decode_cursor(cursor) if cursor else None
    async with db.session_scope() as session:
        rows = await audit_repo.list_entries(
            session=session, tenant_id=principal.tenant_id, after=after, limit=limit + 1, **vars(filters)
        )
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return [entry_dict(r) for r in rows[:limit]], next_cursor


CSV_COLUMNS = (
    "created_at",
    "actor_type",
    "actor_label",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "ip",
    "user_agent",
    "request_id",
    "before",
    "after",
)


async def export_audit_csv(principal: Principal, filters: AuditFilter, max_rows: int = 100_000) -> AsyncIterator[str]:
    """CSV lines, paged through the keyset so memory stays flat for large exports."""
    principal.require(Perm.AUDIT_READ)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    cursor: str | None = None
    sent = 0
    while sent < max_rows:
        rows, cursor = await list_audit(principal, filters, limit=1000, cursor=cursor)
        buffer.seek(0)
        buffer.truncate()
        for row in rows:
            writer.writerow(
                [
                    orjson.dumps(row[c]).decode() if c in ("before", "after") and row[c] is not None else row[c]
                    for c in CSV_COLUMNS
                ]
            )
        sent += len(rows)
        yield buffer.getvalue()
        if cursor is None:
            break
