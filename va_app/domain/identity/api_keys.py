"""API keys: create (secret shown once), list, revoke at once, rotate with a grace period,
and authenticate a presented key.

A validated key is cached in Redis under its prefix for a short time so the hot path costs
one Redis GET; revocation and rotation delete that entry, so every process sees the change
on its next request ("revokes at once").
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from core import cache, db, keys
from models.base import utcnow
from models.repositories import api_keys as keys_repo
from models.repositories import tenants as tenants_repo
from models.tenancy import ApiKey
from va_app.domain.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from va_app.domain.identity import secrets
from va_app.domain.identity.audit import audit
from va_app.domain.identity.permissions import TENANT_ROLES, Perm, role_at_most
from va_app.domain.identity.principal import Principal
from va_app.domain.pagination import decode_cursor, encode_cursor

ROTATION_GRACE = dt.timedelta(hours=24)
STALE_AFTER = dt.timedelta(days=90)
CACHE_TTL_S = 60


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    secret: str  # the whole ``va_<prefix>_<secret>``; returned once, never stored


@dataclass(frozen=True)
class KeyDescription:
    """What may be shown about a key: never its secret or hash."""

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


def describe(key: ApiKey) -> dict[str, Any]:
    """A ``KeyDescription`` as a dict (the API's answer and the audit entry's before/after)."""
    return asdict(
        KeyDescription(
            id=str(key.id),
            name=key.name,
            prefix=key.prefix,
            role=key.role,
            allowed_agents=key.allowed_agents,
            rate_limit_per_minute=key.rate_limit_per_minute,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            rotated_grace_until=key.previous_valid_until,
            is_stale=key.created_at is not None and utcnow() - key.created_at > STALE_AFTER,
        )
    )


async def create_api_key(
    principal: Principal,
    *,
    name: str,
    role: str,
    expires_at: dt.datetime | None = None,
    allowed_agents: list[str] | None = None,
    rate_limit_per_minute: int | None = None,
) -> CreatedKey:
    principal.require(Perm.KEYS_WRITE)
    allowed_roles = [*TENANT_ROLES, "superadmin"] if principal.is_superadmin else list(TENANT_ROLES)
    if role not in allowed_roles:
        raise InvalidInput(f"role must be one of {', '.join(allowed_roles)}")
    if not principal.is_superadmin and not role_at_most(role, principal.role):
        raise PermissionDenied(f"cannot create a '{role}' key: higher than your role '{principal.role}'")
    if expires_at is not None:
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=dt.UTC)
        if expires_at <= utcnow():
            raise InvalidInput("expires_at must be in the future")
    if rate_limit_per_minute is not None and not 1 <= rate_limit_per_minute <= 1_000_000:
        raise InvalidInput("rate_limit_per_minute must be between 1 and 1000000")
    prefix, secret = secrets.new_prefix(), secrets.new_secret()
    async with db.session_scope() as session:
        key = await keys_repo.create_key(
            session=session,
            tenant_id=principal.tenant_id,
            fields={
                "name": name,
                "prefix": prefix,
                "secret_hash": secrets.hash_secret(secret),
                "role": role,
                "created_by": principal.user_id,
                "allowed_agents": allowed_agents,
                "rate_limit_per_minute": rate_limit_per_minute,
                "expires_at": expires_at,
            },
        )
        await audit(session, principal, "api_key.create", "api_key", key.id, after=describe(key))
    return CreatedKey(key, secrets.format_key(prefix, secret))


async def list_api_keys(
    principal: Principal, *, include_revoked: bool = False, limit: int = 50, cursor: str | None = None
) -> tuple[list[ApiKey], str | None]:
    principal.require(Perm.KEYS_READ)
    after = decode_cursor(cursor) if cursor else None
    async with db.session_scope() as session:
        keys = await keys_repo.list_keys(
            session=session,
            tenant_id=principal.tenant_id,
            include_revoked=include_revoked,
            limit=limit + 1,
            after=after,
        )
    next_cursor = encode_cursor(keys[limit - 1].created_at, keys[limit - 1].id) if len(keys) > limit else None
    return keys[:limit], next_cursor


async def revoke_api_key(principal: Principal, key_id: uuid.UUID) -> ApiKey:
    principal.require(Perm.KEYS_WRITE)
    async with db.session_scope() as session:
        key = await keys_repo.get_key(session=session, tenant_id=principal.tenant_id, key_id=key_id)
        if key is None or key.revoked_at is not None:
            raise NotFound("API key not found")
        _check_can_manage(principal, key)
        before = describe(key)
        key.revoked_at = utcnow()
        await session.flush()
        await audit(session, principal, "api_key.revoke", "api_key", key.id, before=before, after=describe(key))
    await _forget(key.prefix)
    return key


async def rotate_api_key(principal: Principal, key_id: uuid.UUID, grace: dt.timedelta = ROTATION_GRACE) -> CreatedKey:
    """New secret now; the old secret keeps working for ``grace`` (default 24 h)."""
    principal.require(Perm.KEYS_WRITE)
    if not dt.timedelta(0) <= grace <= dt.timedelta(days=7):
        raise InvalidInput("grace period must be between 0 and 7 days")
    secret = secrets.new_secret()
    async with db.session_scope() as session:
        key = await keys_repo.get_key(session=session, tenant_id=principal.tenant_id, key_id=key_id)
        if key is None or key.revoked_at is not None:
            raise NotFound("API key not found")
        _check_can_manage(principal, key)
        before = describe(key)
        key.previous_secret_hash = key.secret_hash
        key.previous_valid_until = utcnow() + grace
        key.secret_hash = secrets.hash_secret(secret)
        await session.flush()
        await audit(session, principal, "api_key.rotate", "api_key", key.id, before=before, after=describe(key))
    await _forget(key.prefix)
    return CreatedKey(key, secrets.format_key(key.prefix, secret))


def _check_can_manage(principal: Principal, key: ApiKey) -> None:
    if not principal.is_superadmin and not role_at_most(key.role, principal.role):
        raise PermissionDenied(f"cannot manage a '{key.role}' key with role '{principal.role}'")


async def authenticate_api_key(raw: str) -> Principal:
    """The principal for a presented key, or :class:`NotAuthenticated` (never says why in detail)."""
    parsed = secrets.parse_key(raw)
    if parsed is None:
        raise NotAuthenticated("invalid API key")
    record = await _cached(parsed.prefix)
    if record is None:
        record = await _load(parsed.prefix)
        if record is None:
            raise NotAuthenticated("invalid API key")
    now = utcnow()
    ok = secrets.secret_matches(parsed.secret, record["secret_hash"])
    if not ok and record.get("previous_secret_hash") and record.get("previous_valid_until"):
        grace_until = dt.datetime.fromisoformat(record["previous_valid_until"])
        ok = now < grace_until and secrets.secret_matches(parsed.secret, record["previous_secret_hash"])
    if not ok:
        raise NotAuthenticated("invalid API key")
    if record.get("revoked") or not record.get("tenant_active", True):
        raise NotAuthenticated("API key revoked")
    if record.get("expires_at") and dt.datetime.fromisoformat(record["expires_at"]) <= now:
        raise NotAuthenticated("API key expired")
    await _mark_used(record, now)
    return Principal(
        tenant_id=uuid.UUID(record["tenant_id"]),
        role=record["role"],
        actor_type="api_key",
        actor_id=record["id"],
        label=f"key {record['name']} ({record['prefix']})",
        key_id=uuid.UUID(record["id"]),
        allowed_agents=tuple(record["allowed_agents"]) if record.get("allowed_agents") is not None else None,
        rate_limit_per_minute=record.get("rate_limit_per_minute"),
        tenant_rate_limit_per_minute=record.get("tenant_rate_limit_per_minute"),
        is_superadmin=record["role"] == "superadmin",
    )


async def _cached(prefix: str) -> dict[str, Any] | None:
    raw = await cache.get_redis().get(keys.api_key_record(prefix))
    return orjson.loads(raw) if raw else None


async def _load(prefix: str) -> dict[str, Any] | None:
    async with db.session_scope() as session:
        key = await keys_repo.find_by_prefix(session=session, prefix=prefix)
        if key is None:
            return None
        tenant = await tenants_repo.get_tenant(session=session, tenant_id=key.tenant_id)
        quotas = tenant.quotas if tenant else {}
        record = {
            "id": str(key.id),
            "tenant_id": str(key.tenant_id),
            "name": key.name,
            "prefix": key.prefix,
            "role": key.role,
            "secret_hash": key.secret_hash,
            "previous_secret_hash": key.previous_secret_hash,
            "previous_valid_until": key.previous_valid_until.isoformat() if key.previous_valid_until else None,
            "expires_at": key.expires_at.isoformat() if key.expires_at else None,
            "revoked": key.revoked_at is not None,
            "tenant_active": bool(tenant and tenant.is_active),
            "allowed_agents": key.allowed_agents,
            "rate_limit_per_minute": key.rate_limit_per_minute,
            "tenant_rate_limit_per_minute": (quotas or {}).get("requests_per_minute"),
        }
    await cache.get_redis().set(keys.api_key_record(prefix), orjson.dumps(record), ex=CACHE_TTL_S)
    return record


async def _forget(prefix: str) -> None:
    await cache.get_redis().delete(keys.api_key_record(prefix))


async def _mark_used(record: dict[str, Any], now: dt.datetime) -> None:
    """Write ``last_used_at`` at most once a minute per key: a write per request would cost more than the request."""
    if not await cache.get_redis().set(keys.api_key_used(record["id"]), b"1", ex=60, nx=True):
        return
    async with db.session_scope() as session:
        await keys_repo.touch_last_used(
            session=session, tenant_id=uuid.UUID(record["tenant_id"]), key_id=uuid.UUID(record["id"]), at=now
        )
