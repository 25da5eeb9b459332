"""Unmarked tests cannot reach a backend by accident."""

from __future__ import annotations

import pytest

from core import cache, clickhouse, db
from tests.conftest import BackendBlockedError


def test_unmarked_test_cannot_reach_postgres() -> None:
    with pytest.raises(BackendBlockedError, match="postgres"):
        db.get_engine()


def test_unmarked_test_cannot_reach_redis() -> None:
    with pytest.raises(BackendBlockedError, match="redis"):
        cache.get_redis()


def test_unmarked_test_cannot_reach_clickhouse() -> None:
    with pytest.raises(BackendBlockedError, match="clickhouse"):
        clickhouse.query_rows("SELECT 1")
