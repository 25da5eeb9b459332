"""The append-only audit trail: an insert and tenant-scoped reads, nothing else."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import AuditLog


async def record(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID | None,
    actor_type: str,
    actor_id: str | None,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    request_id: str | None = None,
) -> AuditLog:
    entry = AuditLog(
        tenant_id=tenant_id,
        actor_type=actor_type,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        target_type=target_type,
        target_id=target_id,
        before=before,
        after=after,
        ip=ip,
        user_agent=(user_agent or "")[:500] or None,
        request_id=request_id,
    )
    session.add(entry)
    await session.flush()
    return entry
