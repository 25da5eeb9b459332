"""Queries, one module per aggregate. Every function is keyword-only and tenant-scoped,
except the platform-wide counters in ``platform`` that only a superadmin view uses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult, Result


def affected_rows(result: Result[*tuple[Any, ...]]) -> int:
    """Rows an UPDATE/DELETE matched. ``AsyncSession.execute`` types every result as a plain
    ``Result``; a DML statement's is a ``CursorResult``, the one that carries ``rowcount``."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"expected the CursorResult of a DML statement, got {type(result).__name__}")
    return result.rowcount
