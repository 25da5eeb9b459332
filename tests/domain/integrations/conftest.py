"""The integration hub's test doubles: local fake providers (real HTTP on loopback, real
signature schemes) and the inbound worker as the web process runs it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from tools.fake_providers import server as fake
from va_app.domain.integrations import worker


@pytest.fixture(scope="module")
def providers() -> Iterator[fake.FakeProviders]:
    fp = fake.FakeProviders().start()
    yield fp
    fp.stop()


@pytest.fixture
async def hub_worker() -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop, block_ms=50))
    await asyncio.sleep(0.2)  # consumers joined their groups
    yield
    stop.set()
    await asyncio.wait_for(task, 10)
