"""Browser-test fixtures: the production build of console + API, started once per session.

The app runs as a subprocess through the real run command (``va_app.cli run``) against the
session's PostgreSQL and Redis (already migrated by ``tests/conftest.py``) and its own chDB
directory, because a chDB directory has one owner process and the test process may hold
another. The first production build compiles the frontend, hence the long start timeout.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, async_playwright

from core.services import EmbeddedPostgres, EmbeddedRedis, free_port
from tests.e2e.browser import CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 300.0
STOP_TIMEOUT_S = 30.0
_APP_LOG: list[Path] = []  # the running app's log, for the traceback check after each test


def _tail(log_file: Path, lines: int = 40) -> str:
    if not log_file.exists():
        return "(no output)"
    return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log_file: Path) -> None:
    """Poll ``/readyz`` until every backend is up; fail early if the process dies."""
    deadline = time.monotonic() + START_TIMEOUT_S
    last = "no answer yet"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the app exited with code {proc.returncode} before it was ready:\n{_tail(log_file)}")
        try:
            response = httpx.get(f"{url}/readyz", timeout=5)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text[:500]}"
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(1)
    pytest.fail(f"the app was not ready within {START_TIMEOUT_S:.0f}s (last: {last}):\n{_tail(log_file)}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the app's process group (run command, reflex, workers), SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(STOP_TIMEOUT_S)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="session")
def console_url(
    postgres_server: EmbeddedPostgres,
    redis_server: EmbeddedRedis,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """Base URL of the running production build (pages, ``/api/v1`` and websocket on one port)."""
    workdir = tmp_path_factory.mktemp("console")
    chdb_dir = workdir / "app-chdb"
    chdb_dir.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(workdir / "app-data"),
        "DATABASE_URL": postgres_server.url,
        "REDIS_URL": redis_server.url,
        "CLICKHOUSE_URL": f"chdb:///{chdb_dir}",
        "PORT": str(port),
        # evaluate alert rules every few seconds instead of every minute (tests/e2e/test_console_incident.py)
        "ALERTS__INTERVAL_S": os.environ.get("ALERTS__INTERVAL_S", "5"),
    }
    log_file = workdir / "app.log"
    with log_file.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "va_app.cli", "run", "--port", str(port), "--no-setup"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, url, log_file)
        _APP_LOG.append(log_file)
        yield url
    finally:
        _stop(proc)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """The OS package ``chromium`` driven by Playwright (never a downloaded browser)."""
    chromium = shutil.which("chromium")
    assert chromium, "the OS package `chromium` is required for browser tests"
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture(autouse=True)
def no_tracebacks_in_app_log(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a browser test when the app logged a traceback while it ran.

    Reflex catches an event handler's exception, logs it and leaves the page as it was, so a
    broken handler can look like a slow one and a test can still pass; the log tells.
    """
    if "console_url" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("console_url")
    log_file = _APP_LOG[-1]
    start = log_file.stat().st_size
    yield
    with log_file.open("rb") as log:
        log.seek(start)
        new = log.read().decode(errors="replace")
    if "Traceback (most recent call last)" in new:
        at = new.index("Traceback (most recent call last)")
        pytest.fail(f"the app logged a traceback during this test:\n{new[at : at + 4000]}")


@pytest.fixture
async def console_session_cookie(console_url: str) -> dict[str, str]:
    """A signed-in console session for a fresh tenant's owner, as a Playwright cookie.

    Console pages require a session; tests about something else add this cookie to their
    browser context instead of walking through the login form.
    """
    from tests.factories import create_tenant
    from va_app.console.states.auth import SESSION_COOKIE
    from va_app.domain.identity.login import login

    password = "e2e-owner-password"
    tenant = await create_tenant(owner_password=password)
    result = await login(tenant.provisioned.owner_email, password)
    assert result.session_token, "a fresh owner has no second factor"
    return {"name": SESSION_COOKIE, "value": result.session_token, "url": console_url}
