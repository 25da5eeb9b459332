"""Wire schemas: what the API accepts and returns. ORM objects never cross the wire."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TenantRole = Literal["owner", "admin", "developer", "analyst", "viewer"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PermissionsPublic(BaseModel):
    tenant_id: str
    role: str
    actor_type: str
    actor: str
    permissions: list[str]


class ApiKeyCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    role: TenantRole
    expires_at: dt.datetime | None = None
    allowed_agents: list[str] | None = Field(default=None, max_length=500)
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)


class ApiKeyRotate(Strict):
    grace_period_hours: float = Field(default=24, ge=0, le=168)


class ApiKeyPublic(BaseModel):
    id: str
    name: str
    prefix: str
    role: str
    allowed_agents: list[str] | None
    rate_limit_per_minute: int | None
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    rotated_grace_until: dt.datetime | None
    is_stale: bool


class ApiKeyWithSecret(ApiKeyPublic):
    key: str = Field(description="The full key. Shown only in this response; store it now.")


class ApiKeysPublic(BaseModel):
    data: list[ApiKeyPublic]
    count: int
    next_cursor: str | None


class MemberInvite(Strict):
    email: str = Field(min_length=3, max_length=320)
    role: TenantRole
    full_name: str = Field(default="", max_length=200)


class MemberUpdate(Strict):
    role: TenantRole


class MemberPublic(BaseModel):
    user_id: str
    email: str
    full_name: str
    role: str
    totp_enabled: bool
    is_active: bool
    joined_at: str
    last_login_at: str | None


class MemberInvited(MemberPublic):
    temporary_password: str | None = Field(description="Set when a new user was created; shown once.")


class MembersPublic(BaseModel):
    data: list[MemberPublic]
    count: int


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


class AuditLogsPublic(BaseModel):
    data: list[AuditLogPublic]
    count: int
    next_cursor: str | None
