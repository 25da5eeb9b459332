"""Wire schemas of ``/integrations``: connect (credentials go in, never come out), list, sync
status, run an action."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic.dataclasses import dataclass

from va_app.api.schemas.common import Listing, Strict
from va_app.domain.integrations.service import IntegrationView, SyncStatus


class IntegrationConnect(Strict):
    kind: str = Field(min_length=1, max_length=50, description="see GET /integrations/types")
    name: str = Field(min_length=1, max_length=200)
    credentials: dict[str, Any] = Field(default_factory=dict, description="stored encrypted; never returned")
    config: dict[str, Any] = Field(default_factory=dict)
    test: bool = Field(default=True, description="call the provider before saving")


@dataclass(frozen=True)
class IntegrationPublic(IntegrationView):
    pass


class IntegrationsPublic(Listing[IntegrationPublic]):
    pass


@dataclass(frozen=True)
class SyncStatusPublic(SyncStatus):
    pass


class SyncStatusesPublic(Listing[SyncStatusPublic]):
    pass


class ActionRun(Strict):
    params: dict[str, Any] = Field(default_factory=dict)
    agent: str | None = Field(default=None, max_length=200, description="on behalf of this agent ...")
    version: int | None = Field(default=None, ge=1, description="... whose version must list the action")
