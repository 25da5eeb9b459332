"""What each web worker opens at start and closes at stop.

Runs inside the worker (Reflex lifespan), never at import time: Reflex imports the app in
a supervisor process and forks workers from it, and pools or the chDB session must not
cross that fork.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from analytics.schema import apply_schema
from core import cache, clickhouse, db
from core.config import get_settings
from core.logs import configure_logging

log = logging.getLogger(__name__)


async def startup() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    await asyncio.to_thread(apply_schema)
    log.info(
        "web worker started",
        extra={"environment": settings.environment, "bus": settings.bus_backend},
    )


async def shutdown() -> None:
    await cache.close()
    await db.dispose()
    await asyncio.to_thread(clickhouse.close)


@asynccontextmanager
async def lifespan() -> AsyncIterator[None]:
    await startup()
    try:
        yield
    finally:
        await shutdown()
