"""ClickHouse half of a backup: one Native file per table, through clickhouse-connect.

Why not ``BACKUP DATABASE ... TO File(...)``: chDB (the embedded default) refuses it, since
``backups.allowed_path`` is server configuration it does not have; and ``INTO OUTFILE`` is a
client-side feature the HTTP interface lacks. ``raw_stream``/``raw_insert`` in ``Native``
format work on both chDB and a server, keep every type exactly (aggregate-function states of
the rollups included) and make the backup portable between the two columns: a backup of
the embedded default restores into a ClickHouse server and back.

Tables are read with ``FINAL`` where the engine merges rows (Replacing/AggregatingMergeTree),
so what is saved is what the table means, not how its parts happen to be split. The
fingerprint (rows, and the sum of ``cityHash64`` over each row, aggregate states finalised)
is computed the same way, so background merges after a restore do not change it.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import clickhouse

CHUNK = 1 << 20
_MV_TARGET = re.compile(r"\bTO\s+`?(\w+)`?\.`?(\w+)`?", re.IGNORECASE)
SKIPPED = frozenset({"schema_migrations"})  # recreated by apply_schema, compared by version


@dataclass(frozen=True)
class Table:
    name: str
    engine: str
    columns: tuple[tuple[str, str], ...]

    @property
    def merges_rows(self) -> bool:
        """Engines whose parts collapse on merge, so ``FINAL`` gives the logical content."""
        return self.engine.endswith("MergeTree") and self.engine not in ("MergeTree", "ReplicatedMergeTree")

    def select(self) -> str:
        cols = ", ".join(f"`{n}`" for n, _ in self.columns)
        return f"SELECT {cols} FROM {{db}}.`{self.name}`{' FINAL' if self.merges_rows else ''}"

    def hash_args(self) -> str:
        args: list[str] = []
        for name, type_ in self.columns:
            col = f"`{name}`"
            if type_.startswith("AggregateFunction("):
                args.append(f"finalizeAggregation({col})")
            elif type_.startswith("Nullable("):
                args.extend([f"isNull({col})", f"assumeNotNull({col})"])  # a NULL would null the hash
            else:
                args.append(col)
        return ", ".join(args)


def data_tables(db: str) -> list[Table]:
    """Tables holding data (views excluded), in name order."""
    rows = clickhouse.query_rows(
        "SELECT name, engine FROM system.tables WHERE database = {db:String} "
        "AND engine NOT IN ('MaterializedView', 'View') AND NOT is_temporary ORDER BY name",
        {"db": db},
    )
    cols = clickhouse.query_rows(
        "SELECT table, name, type FROM system.columns WHERE database = {db:String} ORDER BY table, position",
        {"db": db},
    )
    by_table: dict[str, list[tuple[str, str]]] = {}
    for table, name, type_ in cols:
        by_table.setdefault(str(table), []).append((str(name), str(type_)))
    return [
        Table(str(name), str(engine), tuple(by_table.get(str(name), ())))
        for name, engine in rows
        if str(name) not in SKIPPED
    ]


def view_targets(db: str) -> set[str]:
    """Tables that materialized views write into (the rollups): restored after their sources."""
    rows = clickhouse.query_rows(
        "SELECT create_table_query FROM system.tables WHERE database = {db:String} AND engine = 'MaterializedView'",
        {"db": db},
    )
    targets: set[str] = set()
    for (query,) in rows:
        match = _MV_TARGET.search(str(query))
        if match and match.group(1) == db:
            targets.add(match.group(2))
    return targets


def fingerprint(db: str, table: Table) -> dict[str, object]:
    sql = f"SELECT count(), sum(cityHash64({table.hash_args()})) FROM ({table.select().format(db=db)})"
    rows, checksum = clickhouse.query_rows(sql)[0]
    return {"rows": int(rows), "checksum": str(checksum or 0)}


def export(db: str, table: Table, target: Path) -> None:
    with clickhouse.locked_client() as client, target.open("wb") as out:
        # A file-like response on both backends (chDB's stream file, HTTP's urllib3 response).
        stream: Any = client.raw_stream(table.select().format(db=db), fmt="Native")
        try:
            while chunk := stream.read(CHUNK):
                out.write(chunk)
        finally:
            stream.close()  # chDB refuses any other call while a stream is open


def _chunks(path: Path) -> Generator[bytes, None, None]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def truncate(db: str, name: str) -> None:
    clickhouse.command(f"TRUNCATE TABLE IF EXISTS {db}.`{name}`")


def load(db: str, table: Table, source: Path) -> None:
    """Insert a Native file; deduplication is off, the rows were deduplicated when first written."""
    if source.stat().st_size == 0:
        return
    with clickhouse.locked_client() as client:
        client.raw_insert(
            f"{db}.`{table.name}`",
            [n for n, _ in table.columns],
            _chunks(source),
            settings={"insert_deduplicate": 0},
            fmt="Native",
        )
