"""Console sign-in: password, lockout with backoff, TOTP with recovery codes, sessions."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest

from core import cache
from tests.factories import create_tenant
from va_app.domain.errors import InvalidInput, NotAuthenticated, RateLimited
from va_app.domain.identity import login as login_service

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
PASSWORD = "correct horse battery"


async def test_password_login_opens_a_session_that_logout_closes() -> None:
    tenant = await create_tenant(owner_password=PASSWORD)
    result = await login_service.login(tenant.provisioned.owner_email, PASSWORD)
    assert result.status == "ok" and result.session_token
    principal = await login_service.principal_for_session(result.session_token)
    assert principal.tenant_id == tenant.tenant_id and principal.role == "owner"
    ttl = await cache.get_redis().ttl(login_service._session_key(result.session_token))
    assert 8 * 3600 - 5 <= ttl <= 8 * 3600
    await login_service.logout(result.session_token)
    with pytest.raises(NotAuthenticated):
        await login_service.principal_for_session(result.session_token)


async def test_wrong_password_and_unknown_user_say_the_same() -> None:
    tenant = await create_tenant(owner_password=PASSWORD)
    with pytest.raises(NotAuthenticated) as wrong:
        await login_service.login(tenant.provisioned.owner_email, "nope")
    with pytest.raises(NotAuthenticated) as unknown:
        await login_service.login("nobody@example.com", "nope")
    assert wrong.value.message == unknown.value.message


async def test_lockout_after_repeated_failures() -> None:
    tenant = await create_tenant(owner_password=PASSWORD)
    email = tenant.provisioned.owner_email
    for _ in range(login_service.LOCK_AFTER):
        with pytest.raises(NotAuthenticated):
            await login_service.login(email, "wrong")
    with pytest.raises(RateLimited) as locked:
        await login_service.login(email, PASSWORD)  # even the right password waits
    assert 1 <= locked.value.retry_after_s <= login_service.LOCK_BASE_S + 1


async def test_totp_enrolment_and_two_step_login() -> None:
    tenant = await create_tenant(owner_password=PASSWORD)
    first = await login_service.login(tenant.provisioned.owner_email, PASSWORD)
    principal = await login_service.principal_for_session(first.session_token)
    enrolment = await login_service.start_totp_enrolment(principal)
    assert enrolment.qr_data_uri.startswith("data:image/svg+xml;base64,")
    assert "otpauth://totp/" in enrolment.otpauth_uri
    with pytest.raises(InvalidInput):
        await login_service.confirm_totp_enrolment(principal, "000000")
    totp = pyotp.TOTP(enrolment.secret)
    codes = await login_service.confirm_totp_enrolment(principal, totp.now())
    assert len(codes) == login_service.RECOVERY_CODES

    second = await login_service.login(tenant.provisioned.owner_email, PASSWORD)
    assert second.status == "totp_required" and second.session_token is None
    with pytest.raises(NotAuthenticated):
        await login_service.verify_second_factor(second.mfa_token, "123456")
    code = totp.at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30))
    done = await login_service.verify_second_factor(second.mfa_token, code)
    assert done.status == "ok" and done.session_token

    third = await login_service.login(tenant.provisioned.owner_email, PASSWORD)
    with pytest.raises(NotAuthenticated):  # the same code cannot be replayed
        await login_service.verify_second_factor(third.mfa_token, code)
    by_recovery = await login_service.verify_second_factor(third.mfa_token, codes[0])
    assert by_recovery.status == "ok"
    fourth = await login_service.login(tenant.provisioned.owner_email, PASSWORD)
    with pytest.raises(NotAuthenticated):  # a recovery code works once
        await login_service.verify_second_factor(fourth.mfa_token, codes[0])


async def test_removed_member_session_stops_working() -> None:
    from va_app.domain.identity import users

    tenant = await create_tenant(owner_password=PASSWORD)
    invitation = await users.invite_member(tenant.owner(), email="temp@example.com", role="analyst")
    assert invitation.temporary_password
    result = await login_service.login("temp@example.com", invitation.temporary_password)
    assert (await login_service.principal_for_session(result.session_token)).role == "analyst"
    await users.remove_member(tenant.owner(), __import__("uuid").UUID(invitation.member.user_id))
    with pytest.raises(NotAuthenticated):
        await login_service.principal_for_session(result.session_token)
