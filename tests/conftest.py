"""Test fixtures: real backends, started once per session by the project's own code.

Markers say which backend a test may touch (``postgres``, ``redis``, ``clickhouse``,
``kafka``, ``browser``). A test without the marker cannot reach that backend by accident:
its client factory raises :class:`BackendBlockedError` for the duration of the test.

Browser tests (``tests/e2e``) run last, whatever order the paths were given in: their console
app keeps running (and evaluating alerts) until the session ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from core.config import get_settings
from core.services import EmbeddedPostgres, EmbeddedRedis, free_port, port_open
from tests.api_client import asgi_client

ROOT = Path(__file__).resolve().parent.parent
E2E = Path(__file__).resolve().parent / "e2e"
BACKEND_MARKERS = ("postgres", "redis", "clickhouse", "kafka")


class BackendBlockedError(RuntimeError):
    """Raised when a test reaches a backend it did not declare with a marker."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last (stable: everything else keeps its collection order)."""
    items.sort(key=lambda item: item.path.is_relative_to(E2E))


@pytest.fixture(scope="session", autouse=True)
def _wired_domain() -> None:
    """The domain's extension points plugged in as the app module does (va_app.runtime)."""
    from va_app.runtime import wire_domain

    wire_domain()


@pytest.fixture(scope="session")
def test_root() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="va-test-"))
    os.environ["DATA_DIR"] = str(path / "data")
    os.environ["ENVIRONMENT"] = "test"
    os.environ.setdefault("LOG_JSON", "false")
    get_settings.cache_clear()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server(test_root: Path) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(test_root / "postgres", free_port())
    server.start()
    os.environ["DATABASE_URL"] = server.url
    get_settings.cache_clear()
    from models.migrate import upgrade

    upgrade("head")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(test_root: Path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(test_root / "redis", free_port())
    server.start()
    os.environ["REDIS_URL"] = server.url
    get_settings.cache_clear()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def clickhouse_store(test_root: Path) -> Iterator[str]:
    """chDB in this process, in a temporary directory (one owner per directory)."""
    chdb_dir = test_root / "chdb"
    chdb_dir.mkdir(parents=True, exist_ok=True)
    os.environ["CLICKHOUSE_URL"] = f"chdb:///{chdb_dir}"
    get_settings.cache_clear()
    from analytics.schema import apply_schema

    apply_schema()
    yield str(chdb_dir)
    from core import clickhouse

    clickhouse.close()


@pytest.fixture(scope="session")
def kafka_broker(test_root: Path) -> Iterator[str]:
    """A Kafka-protocol broker from PyPI (noida-db), on a free port, in the test dir."""
    binary = shutil.which("noida-db", path=str(Path(sys.executable).parent)) or shutil.which("noida-db")
    if binary is None:
        pytest.fail("noida-db is not installed (it is a dev dependency in pyproject.toml)")
    port = free_port()
    workdir = test_root / "kafka"
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [binary, "start", "--only", "kafka", "--kafka-port", str(port)],
        cwd=workdir,
        stdout=(workdir / "noida.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not port_open(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"noida-db kafka did not start: {(workdir / 'noida.log').read_text()}")
        time.sleep(0.1)
    yield f"127.0.0.1:{port}"
    # The noida-db script is a Python wrapper around the real binary (subprocess.call):
    # signalling the wrapper alone would orphan the broker, so signal the whole session.
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def _blocked(name: str):  # type: ignore[no-untyped-def]
    def _raise(*_args: object, **_kwargs: object) -> None:
        raise BackendBlockedError(f"this test touched {name} without the @pytest.mark.{name} marker")

    return _raise


@pytest.fixture(autouse=True)
def _backend_access(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Start the backends a test is marked for; block the others."""
    marked = {m for m in BACKEND_MARKERS if request.node.get_closest_marker(m)}
    if request.node.get_closest_marker("browser"):
        marked |= {"postgres", "redis"}
    if "postgres" in marked:
        request.getfixturevalue("postgres_server")
    else:
        import core.db

        monkeypatch.setattr(core.db, "get_engine", _blocked("postgres"))
    if "redis" in marked:
        request.getfixturevalue("redis_server")
    else:
        import core.cache

        monkeypatch.setattr(core.cache, "get_redis", _blocked("redis"))
    if "clickhouse" in marked:
        request.getfixturevalue("clickhouse_store")
    else:
        import core.clickhouse

        monkeypatch.setattr(core.clickhouse, "get_client", _blocked("clickhouse"))


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the real ASGI app; the backends are the ones the test is marked for."""
    async with asgi_client() as client:
        yield client
