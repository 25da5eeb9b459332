"""Platform status as a resource of the public API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from va_app.api.deps import require
from va_app.domain.identity.permissions import Perm
from va_app.domain.status.backends import platform_status

router = APIRouter(prefix="/platform", tags=["platform"])


@router.get(
    "/status",
    summary="Backend status and platform-wide counts (superadmin)",
    dependencies=[require(Perm.PLATFORM_ADMIN)],
)
async def get_status() -> dict[str, Any]:
    return (await platform_status()).as_dict()
