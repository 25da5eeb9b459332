"""Embedded servers: reuse a running server, recover from stale pid files."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from core.services import EmbeddedPostgres, EmbeddedRedis, free_port, port_open

pytestmark = pytest.mark.postgres


def test_second_start_reuses_running_postgres(postgres_server: EmbeddedPostgres) -> None:
    pid = postgres_server.running_pid()
    again = EmbeddedPostgres(postgres_server.data_dir, postgres_server.port)
    again.start()
    assert again.running_pid() == pid


def test_redis_recovers_from_stale_pid_file(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis", free_port())
    server.data_dir.mkdir(parents=True)
    server.pid_file.write_text("999999")  # a crashed run's leftover
    server.start()
    try:
        assert redis.Redis.from_url(server.url).ping()
        assert server.running_pid() not in (None, 999999)
    finally:
        server.stop()
    assert not port_open(server.port)


def test_postgres_restart_after_kill(tmp_path: Path) -> None:
    import os
    import signal
    import time

    server = EmbeddedPostgres(tmp_path / "pg", free_port())
    server.start()
    pid = server.running_pid()
    assert pid
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while server.running_pid() is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    server.start()  # stale postmaster.pid must not block the next start
    try:
        assert port_open(server.port)
        assert server.running_pid() not in (None, pid)
    finally:
        server.stop()
