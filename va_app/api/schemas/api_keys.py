"""Wire schemas of ``/api-keys``: a key is shown as the domain describes it, never its secret
except in the answer to create and rotate."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field
from pydantic.dataclasses import dataclass

from va_app.api.schemas.common import Page, Strict, TenantRole
from va_app.domain.identity.api_keys import KeyDescription


class ApiKeyCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    role: TenantRole
    expires_at: dt.datetime | None = None
    allowed_agents: list[str] | None = Field(default=None, max_length=500)
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)


class ApiKeyRotate(Strict):
    grace_period_hours: float = Field(default=24, ge=0, le=168)


@dataclass(frozen=True)
class ApiKeyPublic(KeyDescription):
    pass


@dataclass(frozen=True)
class ApiKeyWithSecret(ApiKeyPublic):
    key: Annotated[str, Field(description="The full key. Shown only in this response; store it now.")]


class ApiKeysPublic(Page[ApiKeyPublic]):
    pass
