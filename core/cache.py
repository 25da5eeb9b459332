"""Redis: cache, rate limits, budgets, sessions, conversation context (and the default bus).

One async client (connection pool) per process and event loop, created lazily.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from typing import TypeVar

import redis.asyncio as aioredis

from core.config import get_settings

_T = TypeVar("_T")
_clients: dict[int, aioredis.Redis] = {}


def get_redis() -> aioredis.Redis:
    """The client bound to the running event loop (pools cannot cross loops)."""
    loop_id = id(asyncio.get_running_loop())
    client = _clients.get(loop_id)
    if client is None:
        settings = get_settings()
        client = aioredis.Redis.from_url(
            settings.resolved_redis_url,
            max_connections=settings.redis.max_connections,
            decode_responses=False,
            health_check_interval=30,
        )
        _clients[loop_id] = client
    return client


async def awaited(reply: Awaitable[_T] | _T) -> _T:
    """The reply of a command of the async client: redis-py annotates each command for the sync
    and the async client at once (``Awaitable[dict] | dict``), which a bare ``await`` rejects."""
    if inspect.isawaitable(reply):
        return await reply
    return reply


async def ping() -> str:
    info = await get_redis().info("server")
    return f"Redis {info.get('redis_version', '?')}"


async def close() -> None:
    for client in list(_clients.values()):
        await client.aclose()
    _clients.clear()
