"""Opaque keyset cursors: base64url JSON of the last row's (created_at, id).

Keyset paging stays fast at any depth and stable while rows are being inserted, which an
offset would not be.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid

import orjson

from va_app.domain.errors import InvalidInput


def encode_cursor(created_at: dt.datetime, row_id: uuid.UUID) -> str:
    raw = orjson.dumps([created_at.isoformat(), str(row_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, row_id = orjson.loads(base64.urlsafe_b64decode(padded))
        return dt.datetime.fromisoformat(created), uuid.UUID(row_id)
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise InvalidInput("invalid cursor") from exc
