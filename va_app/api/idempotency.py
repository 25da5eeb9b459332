"""``Idempotency-Key`` for mutating API calls: a retried request gets the first answer again.

A client that times out cannot know whether its POST happened. With the header, the first
request's response (status, body, content type) is kept in Redis for 24 hours under a key
derived from the caller's credentials, the method, the path and the client's key; a retry
gets that response replayed with ``Idempotent-Replayed: true``, and a retry that arrives
while the first is still running gets 409. Server errors are not kept, so a retry after a
5xx runs again. Responses that carry a new secret (API key create/rotate) are never stored:
a secret is shown once, and only to the request that created it.
"""

from __future__ import annotations

import hashlib
import re

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import cache, keys

TTL_S = 24 * 3600
IN_FLIGHT_TTL_S = 60
MAX_STORED_BYTES = 1024 * 1024
_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_VALID_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
_NEVER_STORED = re.compile(r"^/api/v1/api-keys(/[^/]+/rotate)?/?$")


def _error(status: int, code: str, message: str) -> tuple[int, bytes]:
    return status, orjson.dumps({"error": {"code": code, "message": message}})


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in _METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        raw_key = headers.get(b"idempotency-key")
        path = str(scope.get("path", ""))
        if raw_key is None or not path.startswith("/api/v1/") or _NEVER_STORED.match(path):
            await self.app(scope, receive, send)
            return
        client_key = raw_key.decode("latin-1")
        if not _VALID_KEY.match(client_key):
            status, body = _error(400, "bad_request", "Idempotency-Key must be 8-128 letters, digits or ._:-")
            await _send(send, status, body, b"application/json", replayed=False)
            return
        who = hashlib.sha256(headers.get(b"authorization", b"")).hexdigest()[:32]
        digest = hashlib.sha256(f"{who}|{scope['method']}|{path}|{client_key}".encode()).hexdigest()
        key = keys.idempotency(digest)
        redis = cache.get_redis()
        if not await redis.set(key, b"in-flight", ex=IN_FLIGHT_TTL_S, nx=True):
            stored = await redis.get(key)
            if stored is None or stored == b"in-flight":
                status, body = _error(409, "conflict", "a request with this Idempotency-Key is still in progress")
                await _send(send, status, body, b"application/json", replayed=False)
                return
            record = orjson.loads(stored)
            await _send(send, record["status"], record["body"].encode(), record["type"].encode(), replayed=True)
            return

        captured: dict[str, object] = {"status": 500, "type": b"application/json", "body": bytearray()}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        captured["type"] = value
            elif message["type"] == "http.response.body":
                body = captured["body"]
                assert isinstance(body, bytearray)
                if len(body) <= MAX_STORED_BYTES:
                    body.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            await redis.delete(key)
            raise
        status = int(captured["status"])  # type: ignore[call-overload]
        body = bytes(captured["body"])  # type: ignore[call-overload]
        if status >= 500 or len(body) > MAX_STORED_BYTES:
            await redis.delete(key)
            return
        content_type = captured["type"]
        assert isinstance(content_type, bytes)
        record = {"status": status, "type": content_type.decode("latin-1"), "body": body.decode("utf-8", "replace")}
        await redis.set(key, orjson.dumps(record), ex=TTL_S)


async def _send(send: Send, status: int, body: bytes, content_type: bytes, *, replayed: bool) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
