"""The analytics store through clickhouse-connect: a ClickHouse server, or chDB in-process.

chDB allows one owner per data directory and has no async client, so this module keeps a
single client per process behind a lock and offers ``run_*`` coroutines that execute in a
worker thread. With a ClickHouse server the same calls go over HTTP.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import clickhouse_connect
import orjson
from clickhouse_connect.driver.client import Client

from core.config import Settings, get_settings

_P = ParamSpec("_P")
_T = TypeVar("_T")
_client: Client | None = None
_lock = threading.RLock()


def make_client(settings: Settings) -> Client:
    url = settings.resolved_clickhouse_url
    if url.startswith("chdb://"):
        settings.chdb_data_dir.mkdir(parents=True, exist_ok=True)
        return clickhouse_connect.get_client(dsn=url)
    return clickhouse_connect.get_client(dsn=url, autogenerate_session_id=False)


def get_client() -> Client:
    global _client
    with _lock:
        if _client is None:
            _client = make_client(get_settings())
            database = get_settings().clickhouse.database
            _client.command(f"CREATE DATABASE IF NOT EXISTS {database}")
        return _client


@contextmanager
def locked_client() -> Iterator[Client]:
    """The client with the lock held, for calls this module does not wrap (e.g. insert settings)."""
    with _lock:
        yield get_client()


def command(sql: str, parameters: dict[str, Any] | None = None) -> Any:
    with _lock:
        return get_client().command(sql, parameters=parameters)


def _tag_settings(tags: dict[str, str] | None, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Tags travel as ``log_comment`` so every query is attributable in ``system.query_log``."""
    merged = dict(settings or {})
    if tags:
        merged["log_comment"] = orjson.dumps(tags).decode()
    return merged


def query_arrow(
    sql: str,
    parameters: dict[str, Any] | None = None,
    *,
    tags: dict[str, str] | None = None,
    settings: dict[str, Any] | None = None,
) -> Any:
    with _lock:
        return get_client().query_arrow(sql, parameters=parameters, settings=_tag_settings(tags, settings))


def query_rows(
    sql: str, parameters: dict[str, Any] | None = None, *, tags: dict[str, str] | None = None
) -> Sequence[Sequence[Any]]:
    with _lock:
        return get_client().query(sql, parameters=parameters, settings=_tag_settings(tags)).result_rows


def insert(table: str, rows: Sequence[Sequence[Any]], column_names: Sequence[str]) -> None:
    with _lock:
        get_client().insert(table, rows, column_names=list(column_names))


def insert_arrow(table: str, arrow_table: Any) -> None:
    with _lock:
        get_client().insert_arrow(table, arrow_table)


async def run(fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """Run a blocking call of this module in a worker thread."""
    return await asyncio.to_thread(fn, *args, **kwargs)


def ping_sync() -> str:
    version = query_rows("SELECT version()")[0][0]
    kind = "chDB" if get_settings().clickhouse_embedded else "ClickHouse"
    return f"{kind} {version}"


async def ping() -> str:
    return str(await run(ping_sync))


def close() -> None:
    global _client
    with _lock:
        if _client is not None:
            _client.close()
        _client = None
