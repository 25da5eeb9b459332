"""Console login: password (argon2id), lockout with backoff, TOTP two-factor, Redis sessions.

Sessions expire after 8 hours without activity: every use pushes the expiry forward.
Repeated failures lock the account for a time that doubles with each further failure
(30 s after the 5th, capped at 15 min), which stops online guessing without letting anyone
lock a user out for long.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import secrets as py_secrets
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import orjson
import pyotp
import qrcode
from qrcode.image.svg import SvgPathImage

from core import cache, db, keys
from models.base import utcnow
from models.repositories import members as members_repo
from models.repositories import tenants as tenants_repo
from models.tenancy import User
from va_app.domain.errors import InvalidInput, NotAuthenticated, RateLimited
from va_app.domain.identity import secrets
from va_app.domain.identity.audit import audit
from va_app.domain.identity.passwords import hash_password, verify_password
from va_app.domain.identity.principal import Principal

SESSION_IDLE = dt.timedelta(hours=8)
MFA_PENDING = dt.timedelta(minutes=5)
LOCK_AFTER = 5
LOCK_BASE_S = 30
LOCK_MAX_S = 15 * 60
RECOVERY_CODES = 10
ISSUER = "VirtualAgent"
_DUMMY_HASH = hash_password("timing-equaliser")


@dataclass(frozen=True)
class LoginResult:
    status: Literal["ok", "totp_required"]
    session_token: str | None = None
    mfa_token: str | None = None


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    otpauth_uri: str
    qr_data_uri: str


def _session_key(token: str) -> str:
    return keys.session(secrets.hash_secret(token))


def _lock_seconds(failures: int) -> int:
    return min(LOCK_MAX_S, LOCK_BASE_S * (1 << max(0, failures - LOCK_AFTER)))  # x 2 per failure


async def login(email: str, password: str, tenant_slug: str | None = None) -> LoginResult:
    email = email.strip().lower()
    async with db.session_scope() as session:
        user = await tenants_repo.get_user_by_email(session=session, email=email)
        now = utcnow()
        if user is None or not user.is_active or not user.password_hash:
            verify_password(_DUMMY_HASH, password)  # same cost whether or not the user exists
            raise NotAuthenticated("wrong email or password")
        if user.locked_until and user.locked_until > now:
            wait = int((user.locked_until - now).total_seconds()) + 1
            raise RateLimited(f"too many failed attempts; try again in {wait} s", retry_after_s=wait)
        if not verify_password(user.password_hash, password):
            user.failed_logins += 1
            if user.failed_logins >= LOCK_AFTER:
                user.locked_until = now + dt.timedelta(seconds=_lock_seconds(user.failed_logins))
            await session.commit()  # the failure must count even though we raise
            raise NotAuthenticated("wrong email or password")
        tenant_id, role = await _pick_tenant(session, user, tenant_slug)
        user.failed_logins = 0
        user.locked_until = None
        if user.totp_enabled:
            mfa_token = secrets.session_token()
            await cache.get_redis().set(
                keys.mfa_challenge(secrets.hash_secret(mfa_token)),
                orjson.dumps({"user_id": str(user.id), "tenant_id": str(tenant_id)}),
                ex=int(MFA_PENDING.total_seconds()),
            )
            return LoginResult("totp_required", mfa_token=mfa_token)
        token = await _open_session(session, user, tenant_id, role)
    return LoginResult("ok", session_token=token)


async def verify_second_factor(mfa_token: str, code: str) -> LoginResult:
    """Finish a login with a TOTP code or a one-time recovery code."""
    redis = cache.get_redis()
    key = keys.mfa_challenge(secrets.hash_secret(mfa_token))
    raw = await redis.get(key)
    if raw is None:
        raise NotAuthenticated("sign-in expired; enter your password again")
    pending = orjson.loads(raw)
    async with db.session_scope() as session:
        user = await members_repo.get_user(session=session, user_id=uuid.UUID(pending["user_id"]))
        if user is None or not user.totp_enabled or not user.totp_secret_enc:
            raise NotAuthenticated("two-factor is not enabled")
        now = utcnow()
        if user.locked_until and user.locked_until > now:
            wait = int((user.locked_until - now).total_seconds()) + 1
            raise RateLimited(f"too many failed attempts; try again in {wait} s", retry_after_s=wait)
        if not await _check_code(user, code.strip().replace(" ", "")):
            user.failed_logins += 1
            if user.failed_logins >= LOCK_AFTER:
                user.locked_until = now + dt.timedelta(seconds=_lock_seconds(user.failed_logins))
            await session.commit()  # the failure must count even though we raise
            raise NotAuthenticated("wrong code")
        user.failed_logins = 0
        tenant_id = uuid.UUID(pending["tenant_id"])
        found = await members_repo.get_member(session=session, tenant_id=tenant_id, user_id=user.id)
        role = "superadmin" if user.is_superadmin else (found[0].role if found else None)
        if role is None:
            raise NotAuthenticated("no longer a member of this tenant")
        token = await _open_session(session, user, tenant_id, role)
    await redis.delete(key)
    return LoginResult("ok", session_token=token)


async def _check_code(user: User, code: str) -> bool:
    assert user.totp_secret_enc is not None
    if code.isdigit() and len(code) == 6:
        totp = pyotp.TOTP(secrets.decrypt(user.totp_secret_enc))
        for offset in (0, -1, 1):
            at = utcnow() + dt.timedelta(seconds=30 * offset)
            if py_secrets.compare_digest(totp.at(at), code):
                step = int(at.timestamp()) // 30
                # a code is good once: replaying an observed code inside its window fails
                fresh = await cache.get_redis().set(keys.totp_used(user.id, step), b"1", ex=120, nx=True)
                return bool(fresh)
        return False
    hashed = secrets.hash_secret(code.lower())
    if hashed in (user.recovery_codes or []):
        user.recovery_codes = [c for c in user.recovery_codes if c != hashed]
        return True
    return False


async def _pick_tenant(session: Any, user: User, tenant_slug: str | None) -> tuple[uuid.UUID, str]:
    memberships = await members_repo.memberships_of_user(session=session, user_id=user.id)
    if tenant_slug:
        tenant = await tenants_repo.get_tenant_by_slug(session=session, slug=tenant_slug)
        match = [m for m in memberships if tenant and m.tenant_id == tenant.id]
        if tenant and user.is_superadmin and not match:
            return tenant.id, "superadmin"
        if not match:
            raise NotAuthenticated("wrong email or password")
        return match[0].tenant_id, "superadmin" if user.is_superadmin else match[0].role
    if not memberships:
        raise NotAuthenticated("this user belongs to no tenant")
    return memberships[0].tenant_id, "superadmin" if user.is_superadmin else memberships[0].role


async def _open_session(session: Any, user: User, tenant_id: uuid.UUID, role: str) -> str:
    token = secrets.session_token()
    user.last_login_at = utcnow()
    record = {
        "user_id": str(user.id),
        "tenant_id": str(tenant_id),
        "email": user.email,
        "created": utcnow().isoformat(),
    }
    await cache.get_redis().set(_session_key(token), orjson.dumps(record), ex=int(SESSION_IDLE.total_seconds()))
    principal = Principal(
        tenant_id=tenant_id,
        role=role,
        actor_type="user",
        actor_id=str(user.id),
        label=user.email,
        user_id=user.id,
        is_superadmin=user.is_superadmin,
    )
    await audit(session, principal, "auth.login", "user", user.id, after={"two_factor": user.totp_enabled})
    return token


async def principal_for_session(token: str | None) -> Principal:
    """The signed-in user for a console session; refreshes the 8-hour inactivity timer.

    The role is read from the database on every call so a role change or removal applies at
    once, not at the next login.
    """
    if not token:
        raise NotAuthenticated("please sign in")
    redis = cache.get_redis()
    key = _session_key(token)
    raw = await redis.get(key)
    if raw is None:
        raise NotAuthenticated("your session has expired; please sign in again")
    await redis.expire(key, int(SESSION_IDLE.total_seconds()))
    record = orjson.loads(raw)
    user_id, tenant_id = uuid.UUID(record["user_id"]), uuid.UUID(record["tenant_id"])
    async with db.session_scope() as session:
        user = await members_repo.get_user(session=session, user_id=user_id)
        found = await members_repo.get_member(session=session, tenant_id=tenant_id, user_id=user_id)
    if user is None or not user.is_active or (found is None and not user.is_superadmin):
        await redis.delete(key)
        raise NotAuthenticated("your access was removed; please sign in again")
    role = "superadmin" if user.is_superadmin or found is None else found[0].role  # None: a superadmin
    return Principal(
        tenant_id=tenant_id,
        role=role,
        actor_type="user",
        actor_id=str(user_id),
        label=user.email,
        user_id=user_id,
        is_superadmin=user.is_superadmin,
    )


async def logout(token: str | None) -> None:
    if token:
        await cache.get_redis().delete(_session_key(token))


async def start_totp_enrolment(principal: Principal) -> TotpEnrolment:
    """A new secret (stored encrypted, not yet active) and its QR code for an authenticator app."""
    if principal.user_id is None:
        raise InvalidInput("two-factor belongs to a user, not an API key")
    secret = pyotp.random_base32()
    async with db.session_scope() as session:
        user = await members_repo.get_user(session=session, user_id=principal.user_id)
        assert user is not None
        user.totp_secret_enc = secrets.encrypt(secret)
        user.totp_enabled = False
        await audit(session, principal, "user.totp_enrol_start", "user", user.id)
        email = user.email
    uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)
    image = qrcode.make(uri, image_factory=SvgPathImage, box_size=8)  # SVG: no imaging library needed
    buffer = io.BytesIO()
    image.save(buffer)
    data_uri = "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
    return TotpEnrolment(secret, uri, data_uri)


async def confirm_totp_enrolment(principal: Principal, code: str) -> list[str]:
    """Turn two-factor on once the user proves the app works; returns recovery codes, shown once."""
    if principal.user_id is None:
        raise InvalidInput("two-factor belongs to a user, not an API key")
    async with db.session_scope() as session:
        user = await members_repo.get_user(session=session, user_id=principal.user_id)
        if user is None or not user.totp_secret_enc:
            raise InvalidInput("start enrolment first")
        if not pyotp.TOTP(secrets.decrypt(user.totp_secret_enc)).verify(code.strip(), valid_window=1):
            raise InvalidInput("that code is not valid; check the time on your device and try again")
        codes = [py_secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
        user.recovery_codes = [secrets.hash_secret(c) for c in codes]
        user.totp_enabled = True
        await audit(session, principal, "user.totp_enable", "user", user.id)
    return codes


async def disable_totp(principal: Principal) -> None:
    if principal.user_id is None:
        raise InvalidInput("two-factor belongs to a user, not an API key")
    async with db.session_scope() as session:
        user = await members_repo.get_user(session=session, user_id=principal.user_id)
        assert user is not None
        user.totp_enabled = False
        user.totp_secret_enc = None
        user.recovery_codes = []
        await audit(session, principal, "user.totp_disable", "user", user.id)


async def change_password(principal: Principal, current: str, new: str) -> None:
    if principal.user_id is None:
        raise InvalidInput("passwords belong to users, not API keys")
    if len(new) < 10:
        raise InvalidInput("the new password must have at least 10 characters")
    async with db.session_scope() as session:
        user = await members_repo.get_user(session=session, user_id=principal.user_id)
        assert user is not None
        if not user.password_hash or not verify_password(user.password_hash, current):
            raise InvalidInput("the current password is wrong")
        user.password_hash = hash_password(new)
        await audit(session, principal, "user.password_change", "user", user.id)
