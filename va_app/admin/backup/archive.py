"""``va backup create`` / ``va backup restore``: both stores into one directory, and back.

A backup directory holds ``postgres.dump`` (``pg_dump`` custom format), one ``clickhouse/
<table>.native`` file per analytics table, and ``manifest.json``: per table its row count and
a content checksum, per file its size and sha256, the schema versions, and a fingerprint of
``SECRET_KEY`` (API keys are stored as HMACs and tenant credentials encrypted with it, so a
restore under another key silently locks every client out: it is refused unless asked for).

Restore checks every file against the manifest before touching anything, replaces the
contents of both stores, and then recomputes every fingerprint: a backup that restores with
one row missing or changed fails loudly.

Redis is not backed up: it holds caches, limits and sessions that rebuild themselves, and the
bus backlog, which should be drained before a backup (see the README runbook).

chDB caveat: one process may own a chDB directory. With the embedded default, run the backup
while ``va run`` is stopped (it is refused with a clear message otherwise); with a ClickHouse
server it runs next to live replicas, but ingest must be paused for the analytics half to be
consistent (each table is fingerprinted before and after its export, and a table that changed
in between fails the backup rather than producing an unverifiable one).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from core.config import Settings, get_settings
from va_app.admin.backup import clickhouse as ch_backup
from va_app.admin.backup import postgres as pg_backup

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PG_FILE = "postgres.dump"
CH_DIR = "clickhouse"
EXPORT_ATTEMPTS = 3


class BackupError(RuntimeError):
    """The backup or restore cannot be done, or did not verify; the message says why."""


@dataclass
class RestoreReport:
    backup_dir: Path
    postgres_tables: int
    clickhouse_tables: int
    rows: dict[str, int] = field(default_factory=dict)


def secret_fingerprint(settings: Settings) -> str:
    """Identifies SECRET_KEY without revealing it (a salted hash, 16 hex digits)."""
    return hashlib.sha256(b"va-backup:" + settings.secret_key.get_secret_value().encode()).hexdigest()[:16]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _file_entry(path: Path, root: Path) -> dict[str, Any]:
    return {"path": str(path.relative_to(root)), "bytes": path.stat().st_size, "sha256": sha256_file(path)}


@contextmanager
def _clickhouse_owned(settings: Settings) -> Iterator[None]:
    """Turn chDB's one-owner lock error into an instruction; close our session afterwards."""
    from core import clickhouse

    try:
        clickhouse.ping_sync()
    except Exception as exc:  # any open failure: say what the usual cause is
        hint = (
            " chDB allows one owning process: stop `va run` (or the process that owns "
            f"{settings.resolved_clickhouse_url}) and retry."
            if settings.clickhouse_embedded
            else ""
        )
        raise BackupError(f"cannot open the analytics store: {exc}.{hint}") from exc
    yield


@contextmanager
def _postgres_errors() -> Iterator[None]:
    """Report an unreachable server or a failed client tool as a BackupError the CLI prints."""
    try:
        yield
    except pg_backup.PostgresToolError as exc:
        raise BackupError(str(exc)) from exc
    except psycopg.OperationalError as exc:
        raise BackupError(f"cannot reach PostgreSQL: {str(exc).strip()}") from exc


def _remove_contents(root: Path) -> None:
    for child in root.iterdir():
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _pg_connection(settings: Settings) -> pg_backup.PostgresTarget:
    return pg_backup.PostgresTarget.from_sqlalchemy_url(settings.resolved_database_url)


def _clickhouse_schema_version(db: str) -> int:
    from core import clickhouse

    rows = clickhouse.query_rows(f"SELECT max(version) FROM {db}.schema_migrations")
    return int(rows[0][0] or 0)


def _export_clickhouse(db: str, out_dir: Path, root: Path) -> dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    tables: dict[str, Any] = {}
    for table in ch_backup.data_tables(db):
        target = out_dir / f"{table.name}.native"
        for _attempt in range(EXPORT_ATTEMPTS):
            before = ch_backup.fingerprint(db, table)
            ch_backup.export(db, table, target)
            if ch_backup.fingerprint(db, table) == before:
                break
        else:
            raise BackupError(
                f"clickhouse table {table.name} kept changing during its export: pause the ingest workers "
                "(scale them to 0; events wait on the bus) and retry"
            )
        tables[table.name] = {**before, "columns": [list(c) for c in table.columns], "file": _file_entry(target, root)}
    return tables


def create_backup(out_dir: Path | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """Back up PostgreSQL and ClickHouse into ``out_dir`` (new or empty); returns the manifest."""
    from analytics.schema import apply_schema

    settings = settings or get_settings()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    root = (out_dir or settings.data_dir / "backups" / f"va-{stamp}").resolve()
    if root.exists() and any(root.iterdir()):
        raise BackupError(f"{root} is not empty; choose a new directory")
    root.mkdir(parents=True, exist_ok=True)
    db = settings.clickhouse.database

    conn = _pg_connection(settings)
    try:
        with _clickhouse_owned(settings), _postgres_errors():  # chDB first: fail before the dump
            pg_tables = pg_backup.dump(conn, root / PG_FILE)
            log.info("postgres dumped", extra={"tables": len(pg_tables)})
            apply_schema()  # a store that never started has no tables yet: back up an empty schema
            ch_tables = _export_clickhouse(db, root / CH_DIR, root)
            ch_version = _clickhouse_schema_version(db)
            pg_version = pg_backup.server_version(conn)
    except BaseException:
        _remove_contents(root)  # never leave a half-written backup that looks like one
        raise
    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "environment": settings.environment,
        "secret_key_fingerprint": secret_fingerprint(settings),
        "postgres": {
            "server_version": pg_version,
            "file": _file_entry(root / PG_FILE, root),
            "tables": pg_tables,
        },
        "clickhouse": {"database": db, "schema_version": ch_version, "tables": ch_tables},
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    log.info("backup written", extra={"dir": str(root)})
    return {**manifest, "dir": str(root)}


def read_manifest(backup_dir: Path) -> dict[str, Any]:
    """Load the manifest and check every file's size and sha256 against it."""
    path = backup_dir / MANIFEST
    if not path.exists():
        raise BackupError(f"{path} not found: not a backup directory")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"unsupported backup format {manifest.get('format_version')}")
    entries = [manifest["postgres"]["file"], *(t["file"] for t in manifest["clickhouse"]["tables"].values())]
    for entry in entries:
        file = backup_dir / entry["path"]
        if not file.exists():
            raise BackupError(f"{entry['path']} is missing from the backup")
        if file.stat().st_size != entry["bytes"] or sha256_file(file) != entry["sha256"]:
            raise BackupError(f"{entry['path']} does not match its checksum: the backup is damaged")
    return manifest


def _compare(store: str, expected: dict[str, Any], actual: dict[str, Any]) -> None:
    problems = []
    for name, want in expected.items():
        got = actual.get(name)
        if got is None:
            problems.append(f"{name}: missing")
        elif (got["rows"], got["checksum"]) != (want["rows"], want["checksum"]):
            problems.append(f"{name}: {got['rows']} rows/{got['checksum']} != {want['rows']} rows/{want['checksum']}")
    if problems:
        raise BackupError(f"{store} restore did not verify: " + "; ".join(problems))


def _restore_clickhouse(backup_dir: Path, section: dict[str, Any], db: str) -> dict[str, dict[str, object]]:
    from analytics.schema import apply_schema

    apply_schema()
    if _clickhouse_schema_version(db) != section["schema_version"]:
        raise BackupError(
            f"clickhouse schema is at version {_clickhouse_schema_version(db)}, the backup at "
            f"{section['schema_version']}: restore with the release that made the backup"
        )
    current = {t.name: t for t in ch_backup.data_tables(db)}
    for name, entry in section["tables"].items():
        table = current.get(name)
        if table is None or [list(c) for c in table.columns] != entry["columns"]:
            raise BackupError(f"clickhouse table {name} has other columns than in the backup")
    # Sources first: their inserts run the materialized views, whose output is then replaced
    # by the saved rollups (truncated again below), so nothing is counted twice.
    targets = ch_backup.view_targets(db)
    names = sorted(section["tables"], key=lambda n: (n in targets, n))
    for name in names:
        ch_backup.truncate(db, name)
    for name in names:
        if name in targets:
            ch_backup.truncate(db, name)
        ch_backup.load(db, current[name], backup_dir / section["tables"][name]["file"]["path"])
    return {name: ch_backup.fingerprint(db, current[name]) for name in names}


def restore_backup(
    backup_dir: Path, settings: Settings | None = None, *, allow_secret_mismatch: bool = False
) -> RestoreReport:
    """Replace both stores' contents with the backup's, then verify every table against it.

    Stop the web replicas and ingest workers first: a process writing during the restore
    would make the verification fail (and its writes would be lost).
    """
    settings = settings or get_settings()
    backup_dir = backup_dir.resolve()
    manifest = read_manifest(backup_dir)
    if manifest["secret_key_fingerprint"] != secret_fingerprint(settings) and not allow_secret_mismatch:
        raise BackupError(
            "the backup was made under another SECRET_KEY: API keys and stored credentials would stop working. "
            "Set the original SECRET_KEY, or pass --allow-secret-mismatch to restore anyway"
        )
    db = settings.clickhouse.database
    if manifest["clickhouse"]["database"] != db:
        log.warning("restoring clickhouse database %s into %s", manifest["clickhouse"]["database"], db)
    # chDB first: fail before touching PostgreSQL if chDB is owned elsewhere.
    with _clickhouse_owned(settings), _postgres_errors():
        conn = _pg_connection(settings)
        pg_backup.restore(conn, backup_dir / manifest["postgres"]["file"]["path"])
        _compare("postgres", manifest["postgres"]["tables"], pg_backup.current_fingerprints(conn))
        ch_actual = _restore_clickhouse(backup_dir, manifest["clickhouse"], db)
        _compare("clickhouse", manifest["clickhouse"]["tables"], ch_actual)
    rows = {f"postgres.{k}": int(v["rows"]) for k, v in manifest["postgres"]["tables"].items()}
    rows |= {f"clickhouse.{k}": int(v["rows"]) for k, v in manifest["clickhouse"]["tables"].items()}
    return RestoreReport(backup_dir, len(manifest["postgres"]["tables"]), len(manifest["clickhouse"]["tables"]), rows)
