"""API key format, keyed hashing and at-rest encryption of small secrets.

Keys look like ``va_<prefix>_<secret>``. The prefix is public (shown in lists, used to find
the row); only HMAC-SHA256(SECRET_KEY, secret) is stored, so a database leak does not leak
usable keys, and comparison is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken

from core.config import get_settings

_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
PREFIX_LEN = 10
SECRET_LEN = 40


@dataclass(frozen=True)
class ParsedKey:
    prefix: str
    secret: str


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def new_prefix() -> str:
    return _random(PREFIX_LEN)


def new_secret() -> str:
    return secrets.token_urlsafe(30)[:SECRET_LEN]


def format_key(prefix: str, secret: str) -> str:
    return f"va_{prefix}_{secret}"


def parse_key(raw: str) -> ParsedKey | None:
    """None for anything that is not shaped like one of our keys (no database lookup)."""
    if not raw.startswith("va_") or len(raw) > 200:
        return None
    rest = raw[3:]
    prefix, sep, secret = rest.partition("_")
    if not sep or len(prefix) != PREFIX_LEN or not secret or any(c not in _ALPHABET for c in prefix):
        return None
    return ParsedKey(prefix, secret)


def hash_secret(secret: str) -> str:
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


def secret_matches(secret: str, stored_hash: str | None) -> bool:
    return bool(stored_hash) and hmac.compare_digest(hash_secret(secret), stored_hash or "")


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"va-fernet:" + get_settings().secret_key.get_secret_value().encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(value: str) -> str:
    """Encrypt a small secret (TOTP seed, integration credentials) for storage."""
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: SECRET_KEY changed or data corrupted") from exc


def session_token() -> str:
    return secrets.token_urlsafe(32)
