"""API keys: the secret is in the create/rotate response only."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from va_app.api.deps import PrincipalDep
from va_app.api.schemas.api_keys import ApiKeyCreate, ApiKeyPublic, ApiKeyRotate, ApiKeysPublic, ApiKeyWithSecret
from va_app.domain.identity import api_keys

router = APIRouter(prefix="/api-keys", tags=["api keys"])


@router.post("", status_code=201, response_model=ApiKeyWithSecret, summary="Create a key (secret shown once)")
async def create_key(body: ApiKeyCreate, principal: PrincipalDep) -> ApiKeyWithSecret:
    created = await api_keys.create_api_key(principal, **body.model_dump())
    return ApiKeyWithSecret(**api_keys.describe(created.key), key=created.secret)


@router.get("", response_model=ApiKeysPublic, summary="List keys (never their secrets)")
async def list_keys(
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    include_revoked: bool = False,
) -> ApiKeysPublic:
    keys, next_cursor = await api_keys.list_api_keys(
        principal, include_revoked=include_revoked, limit=limit, cursor=cursor
    )
    data = [ApiKeyPublic(**api_keys.describe(k)) for k in keys]
    return ApiKeysPublic(data=data, count=len(data), next_cursor=next_cursor)


@router.delete("/{key_id}", status_code=204, summary="Revoke a key at once")
async def revoke_key(key_id: uuid.UUID, principal: PrincipalDep) -> Response:
    await api_keys.revoke_api_key(principal, key_id)
    return Response(status_code=204)


@router.post(
    "/{key_id}/rotate",
    response_model=ApiKeyWithSecret,
    summary="Issue a new secret; the old one stays valid for the grace period (default 24 h)",
)
async def rotate_key(key_id: uuid.UUID, principal: PrincipalDep, body: ApiKeyRotate | None = None) -> ApiKeyWithSecret:
    grace = dt.timedelta(hours=(body or ApiKeyRotate()).grace_period_hours)
    created = await api_keys.rotate_api_key(principal, key_id, grace)
    return ApiKeyWithSecret(**api_keys.describe(created.key), key=created.secret)
