"""Every signature scheme the hub checks or produces, as pure functions (no I/O).

Each provider signs differently; keeping them side by side makes the comparison easy to
review and lets the fake providers in ``tools/fake_providers`` import the *same* code to
sign what they send, so a test exercises the real scheme end to end.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

VA_SIGNATURE_HEADER = "X-VA-Signature"


def _hex(key: bytes, msg: bytes, algo: str = "sha256") -> str:
    return hmac.new(key, msg, algo).hexdigest()


def slack_signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    """Slack v0: ``v0=`` + hex HMAC-SHA256 over ``v0:{timestamp}:{body}``."""
    return "v0=" + _hex(signing_secret.encode(), b"v0:" + timestamp.encode() + b":" + body)


def hub_signature_256(app_secret: str, body: bytes) -> str:
    """Meta (WhatsApp Cloud API) ``X-Hub-Signature-256``: ``sha256=`` + hex HMAC over the raw body."""
    return "sha256=" + _hex(app_secret.encode(), body)


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """Twilio: base64 HMAC-SHA1 over the full URL followed by every POST param, sorted, name+value."""
    data = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def teams_signature(security_token_b64: str, body: bytes) -> str:
    """Teams outgoing webhook: ``HMAC `` + base64 HMAC-SHA256 keyed by the base64-decoded token."""
    key = base64.b64decode(security_token_b64)
    return "HMAC " + base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


def va_signature(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """Ours, for outbound webhooks: ``t=<unix>,v1=<hex HMAC-SHA256 over "t.body">``."""
    ts = int(time.time()) if timestamp is None else timestamp
    return f"t={ts},v1=" + _hex(secret.encode(), f"{ts}.".encode() + body)


def verify_va_signature(secret: str, body: bytes, header: str, tolerance_s: int = 300) -> bool:
    """What a subscriber runs (the README shows the same few lines)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        ts = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - ts) > tolerance_s:
        return False
    return equal(va_signature(secret, body, ts), header)


def equal(a: str, b: str) -> bool:
    """Constant-time comparison: a timing side channel must not reveal a valid signature."""
    return hmac.compare_digest(a.encode(), b.encode())
