"""Typed dependencies: who is calling (API key), rate limits, permissions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from va_app.domain.errors import NotAuthenticated, RateLimited
from va_app.domain.identity import ratelimit
from va_app.domain.identity.api_keys import authenticate_api_key
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal

bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer va_<prefix>_<secret>`")


async def get_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """Authenticate the key, then count the request against the key's and the tenant's limits."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise NotAuthenticated("missing API key: send 'Authorization: Bearer va_...'")
    principal = await authenticate_api_key(credentials.credentials)
    decision = await ratelimit.check(
        [
            ratelimit.Limit(f"key:{principal.key_id}", principal.rate_limit_per_minute or ratelimit.DEFAULT_KEY_LIMIT),
            ratelimit.Limit(
                f"tenant:{principal.tenant_id}",
                principal.tenant_rate_limit_per_minute or ratelimit.DEFAULT_TENANT_LIMIT,
            ),
        ],
        shard=str(principal.tenant_id),
    )
    headers = decision.headers()
    request.state.extra_headers = headers
    if not decision.allowed:
        scope = "tenant" if decision.scope and decision.scope.startswith("tenant:") else "API key"
        raise RateLimited(
            f"rate limit of {decision.limit} requests per minute exceeded for this {scope}",
            retry_after_s=decision.retry_after_s,
            headers=headers,
        )
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(perm: Perm):  # type: ignore[no-untyped-def]
    """A dependency that authenticates and checks one permission."""

    async def _check(principal: PrincipalDep) -> Principal:
        principal.require(perm)
        return principal

    return Depends(_check)
