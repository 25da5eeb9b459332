"""Authentication of activities that the Bot Connector service posts to a Teams bot.

Microsoft signs every activity with a JWT (``Authorization: Bearer ...``). We check what the
Bot Framework documentation asks of a bot ("Authenticate requests from the Bot Connector
service"): RS256 signature by a key published through the OpenID metadata document, issuer
``https://api.botframework.com``, audience = the bot's app id, validity window with five
minutes of clock skew, the ``serviceUrl`` claim equal to the activity's ``serviceUrl`` (so a
token lifted from one conversation cannot steer our reply elsewhere), and the signing key
endorsed for the activity's channel. The signing keys are fetched over HTTP and cached; an
unknown ``kid`` triggers at most one refresh per minute, because Microsoft rotates keys
without notice while a flood of forged tokens must not turn into a flood of fetches.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt

from va_app.domain.integrations import http
from va_app.domain.integrations.registry import WebhookRejected

ISSUER = "https://api.botframework.com"
METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
KEYS_TTL_S = 24 * 3600
REFRESH_FLOOR_S = 60
CLOCK_SKEW_S = 300


@dataclass
class _KeySet:
    keys: dict[str, jwt.PyJWK]
    endorsements: dict[str, set[str]]
    fetched_at: float


_cache: dict[str, _KeySet] = {}


async def _fetch(metadata_url: str) -> _KeySet:
    try:
        meta = (await http.call("teams", "GET", metadata_url)).json()
        jwks = (await http.call("teams", "GET", str(meta["jwks_uri"]))).json()
    except (http.ConnectorError, KeyError, TypeError, ValueError):
        raise WebhookRejected(503, "auth_unavailable", "Bot Framework signing keys are unreachable") from None
    keys: dict[str, jwt.PyJWK] = {}
    endorsements: dict[str, set[str]] = {}
    for raw in jwks.get("keys", []):
        try:
            key = jwt.PyJWK(raw, algorithm="RS256")
        except (jwt.PyJWKError, jwt.InvalidKeyError):
            continue  # a key type we cannot use cannot have signed a token we accept
        kid = str(raw.get("kid", ""))
        keys[kid] = key
        endorsements[kid] = {str(e) for e in raw.get("endorsements", [])}
    return _KeySet(keys, endorsements, time.monotonic())


async def _key_set(metadata_url: str, kid: str) -> _KeySet:
    found = _cache.get(metadata_url)
    now = time.monotonic()
    fresh = found is not None and now - found.fetched_at < KEYS_TTL_S
    if fresh and found is not None and (kid in found.keys or now - found.fetched_at < REFRESH_FLOOR_S):
        return found
    # No lock: two concurrent first requests fetch twice, which is cheaper than a lock that
    # would be bound to one event loop.
    _cache[metadata_url] = fetched = await _fetch(metadata_url)
    return fetched


async def signing_keys(metadata_url: str = METADATA_URL) -> int:
    """Fetch the signing keys now (the connection test); how many usable keys there are."""
    try:
        found = await _fetch(metadata_url)
    except WebhookRejected as exc:
        raise http.ConnectorError("teams", None, exc.message) from None
    _cache[metadata_url] = found
    if not found.keys:
        raise http.ConnectorError("teams", None, "the Bot Framework key set has no RS256 keys")
    return len(found.keys)


def forget_keys() -> None:
    """Drop cached keys (tests that rotate the fake provider's keys)."""
    _cache.clear()


async def verify_activity(
    authorization: str, *, app_id: str, service_url: str, channel_id: str, metadata_url: str = METADATA_URL
) -> dict[str, Any]:
    """The token's claims when the activity is genuine; :class:`WebhookRejected` (403) when not."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise WebhookRejected(401, "unsigned", "Authorization must be a Bot Framework bearer token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise WebhookRejected(403, "bad_signature", "the bearer token is not a JWT") from None
    if header.get("alg") != "RS256":
        raise WebhookRejected(403, "bad_signature", "the token must be signed with RS256")
    kid = str(header.get("kid", ""))
    keys = await _key_set(metadata_url, kid)
    key = keys.keys.get(kid)
    if key is None:
        raise WebhookRejected(403, "bad_signature", "the token is signed by an unknown key")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key.key,
            algorithms=["RS256"],
            audience=app_id,
            issuer=ISSUER,
            leeway=CLOCK_SKEW_S,
            options={"require": ["exp", "iss", "aud"]},
        )
    except jwt.InvalidTokenError as exc:
        raise WebhookRejected(403, "bad_signature", f"token rejected: {exc}") from None
    if claims.get("serviceUrl") != service_url:
        raise WebhookRejected(403, "bad_signature", "the token was issued for another serviceUrl")
    if channel_id not in keys.endorsements.get(kid, set()):
        raise WebhookRejected(403, "bad_signature", f"the signing key is not endorsed for channel {channel_id!r}")
    return claims
