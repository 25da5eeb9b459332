"""Who am I and what may I do."""

from __future__ import annotations

from fastapi import APIRouter

from va_app.api.deps import PrincipalDep
from va_app.api.schemas.auth import PermissionsPublic

router = APIRouter(prefix="/auth", tags=["auth"])


@router.get("/permissions", response_model=PermissionsPublic, summary="The caller's role and permissions")
async def my_permissions(principal: PrincipalDep) -> PermissionsPublic:
    return PermissionsPublic(
        tenant_id=str(principal.tenant_id),
        role=principal.role,
        actor_type=principal.actor_type,
        actor=principal.label,
        permissions=sorted(p.value for p in principal.permissions),
    )
