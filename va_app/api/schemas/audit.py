"""Wire schemas of ``/audit-logs`` (read-only)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from va_app.api.schemas.common import Page


class AuditLogPublic(BaseModel):
    id: str
    created_at: dt.datetime
    actor_type: str
    actor_id: str | None
    actor_label: str
    action: str
    target_type: str
    target_id: str | None
    before: dict | None
    after: dict | None
    ip: str | None
    user_agent: str | None
    request_id: str | None


class AuditLogsPublic(Page[AuditLogPublic]):
    pass
