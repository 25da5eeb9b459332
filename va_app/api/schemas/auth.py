"""Wire schemas of ``/auth``: who the caller is and what it may do."""

from __future__ import annotations

from pydantic import BaseModel


class PermissionsPublic(BaseModel):
    tenant_id: str
    role: str
    actor_type: str
    actor: str
    permissions: list[str]
