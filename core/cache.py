"""Redis: cache, rate limits, budgets, sessions, conversation context (and the default bus).

One async client (connection pool) per process and event loop, created lazily.
"""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from core.config import get_settings

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


async def ping() -> str:
    info = await get_redis().info("server")
    return f"Redis {info.get('redis_version', '?')}"


async def close() -> None:
    for client in list(_clients.values()):
        await client.aclose()
    _clients.clear()
