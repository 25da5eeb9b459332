"""The row of the ClickHouse ``events`` table, declared once.

After langfuse's ``repositories/definitions.ts``: one record type names every column with
its ClickHouse type, and everything that spells the row derives from it instead of
repeating it — the table's DDL (``analytics.schema``), the Arrow schema of inserts
(``ingest.writers``, ``analytics.generator``), the processors that build rows from
envelopes (``ingest.processors``, ``ingest.fastpath``) and the explorer's select list.

Every column says where its value comes from, which is what the processors need to know:

* ``envelope`` — the event's envelope (id, tenant, type, time, source);
* ``promoted`` — a payload field kept in its own column (for ``conversation.logs``);
* ``derived`` — computed from other columns (``is_error``, ``is_handoff``);
* ``payload`` — the JSON of the payload fields that are not columns;
* ``server`` — filled by ClickHouse on insert (``received_at``); producers never send it.

A Python default is also the column's ``DEFAULT`` in the DDL (``None``: no default).

Adding a column: add it here *and* an ``ADD COLUMN IF NOT EXISTS`` migration in
``analytics/schema.py`` (a new install already gets the column from migration 1, where the
ALTER is then a no-op); ``tests/analytics/test_event_record.py`` compares the live table
with this record.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args, get_type_hints

import pyarrow as pa

Origin = Literal["envelope", "server", "promoted", "derived", "payload"]
TABLE = "events"


@dataclass(frozen=True)
class _Col:
    """Annotation of one :class:`EventRecord` field."""

    clickhouse: str
    origin: Origin
    server_default: str = ""  # a ClickHouse expression, for ``server`` columns
    codec: str = ""


_UUID = _Col("UUID", "envelope")
_DT64 = "DateTime64(3, 'UTC')"
_LC = "LowCardinality(String)"


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One row of ``events``: a conversation turn, or any other event with its payload as JSON."""

    event_id: Annotated[str, _UUID]
    tenant_id: Annotated[str, _UUID]
    type: Annotated[str, _Col(_LC, "envelope")]
    ts: Annotated[dt.datetime, _Col(_DT64, "envelope")]
    received_at: Annotated[dt.datetime | None, _Col(_DT64, "server", server_default="now64(3)")] = None
    source: Annotated[str, _Col(_LC, "envelope")] = ""
    agent_id: Annotated[str, _Col("String", "promoted")] = ""
    version: Annotated[int, _Col("UInt32", "promoted")] = 0
    conversation_id: Annotated[str, _Col("String", "promoted")] = ""
    end_user_id: Annotated[str, _Col("String", "promoted")] = ""
    channel: Annotated[str, _Col(_LC, "promoted")] = ""
    environment: Annotated[str, _Col(_LC, "promoted")] = ""  # "" = unknown (core.environments)
    deployment_id: Annotated[str, _Col("String", "promoted")] = ""
    model: Annotated[str, _Col(_LC, "promoted")] = ""
    provider: Annotated[str, _Col(_LC, "promoted")] = ""
    intent: Annotated[str, _Col(_LC, "promoted")] = ""
    outcome: Annotated[str, _Col(_LC, "promoted")] = ""
    cache_kind: Annotated[str, _Col(_LC, "promoted")] = ""
    latency_ms: Annotated[float, _Col("Float32", "promoted")] = 0.0
    prompt_tokens: Annotated[int, _Col("UInt32", "promoted")] = 0
    completion_tokens: Annotated[int, _Col("UInt32", "promoted")] = 0
    cost_usd: Annotated[float, _Col("Float64", "promoted")] = 0.0
    csat: Annotated[int | None, _Col("Nullable(UInt8)", "promoted")] = None
    is_error: Annotated[int, _Col("UInt8", "derived")] = 0
    is_handoff: Annotated[int, _Col("UInt8", "derived")] = 0
    payload: Annotated[str, _Col("String", "payload", codec="ZSTD(3)")] = "{}"


# ClickHouse type (without LowCardinality/Nullable) -> the Arrow type inserts carry.
_ARROW: dict[str, pa.DataType] = {
    "UUID": pa.string(),
    "String": pa.string(),
    _DT64: pa.timestamp("ms", tz="UTC"),
    "UInt8": pa.uint8(),
    "UInt32": pa.uint32(),
    "Float32": pa.float32(),
    "Float64": pa.float64(),
}


def _unwrap(clickhouse_type: str) -> str:
    for wrapper in ("LowCardinality(", "Nullable("):
        if clickhouse_type.startswith(wrapper):
            return _unwrap(clickhouse_type[len(wrapper) : -1])
    return clickhouse_type


def _sql_literal(value: object) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format(value, "g")
    raise TypeError(f"no SQL literal for {value!r}")


@dataclass(frozen=True)
class Column:
    name: str
    clickhouse: str
    origin: Origin
    default: str  # the DDL's DEFAULT expression, "" for none
    codec: str

    @property
    def base_type(self) -> str:
        """The type without ``LowCardinality``/``Nullable``: what a bound query parameter uses."""
        return _unwrap(self.clickhouse)

    @property
    def arrow(self) -> pa.DataType:
        return _ARROW[self.base_type]

    @property
    def nullable(self) -> bool:
        return self.clickhouse.startswith("Nullable(")

    def ddl(self) -> str:
        default = f" DEFAULT {self.default}" if self.default else ""
        codec = f" CODEC({self.codec})" if self.codec else ""
        return f"{self.name} {self.clickhouse}{default}{codec}"


def _columns() -> tuple[Column, ...]:
    hints = get_type_hints(EventRecord, include_extras=True)
    out: list[Column] = []
    for f in dataclasses.fields(EventRecord):
        col = next(a for a in get_args(hints[f.name])[1:] if isinstance(a, _Col))
        default = col.server_default
        if not default and f.default is not dataclasses.MISSING and f.default is not None:
            default = _sql_literal(f.default)
        out.append(Column(f.name, col.clickhouse, col.origin, default, col.codec))
    return tuple(out)


COLUMNS: tuple[Column, ...] = _columns()  # in table order
BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
INSERT_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.origin != "server")
ENVELOPE_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.origin == "envelope")
PROMOTED_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.origin == "promoted")
DERIVED_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.origin == "derived")
ARROW_SCHEMA: pa.Schema = pa.schema([(name, BY_NAME[name].arrow) for name in INSERT_COLUMNS])


def ddl_columns(indent: str) -> str:
    """The column list of ``CREATE TABLE events``, one column a line."""
    return ",\n".join(indent + c.ddl() for c in COLUMNS)


def values(record: EventRecord) -> tuple[Any, ...]:
    """The record's insert values, in :data:`INSERT_COLUMNS` order."""
    return tuple(getattr(record, name) for name in INSERT_COLUMNS)


def arrow_table(columns: Mapping[str, pa.Array | pa.ChunkedArray | pa.DictionaryArray]) -> pa.Table:
    """Columns built elsewhere (vectorised) as an insert table in the record's column order.

    A name the record does not have, or a column of another type (a dictionary of the
    column's type is fine: cheap low-cardinality strings), is a bug; a column left out takes
    its DDL default, so only columns with one may be left out.
    """
    unknown = set(columns) - set(INSERT_COLUMNS)
    if unknown:
        raise ValueError(f"not columns of {TABLE}: {', '.join(sorted(unknown))}")
    for name, array in columns.items():
        kind = array.type.value_type if pa.types.is_dictionary(array.type) else array.type
        if kind != BY_NAME[name].arrow:
            raise TypeError(f"{TABLE}.{name} takes {BY_NAME[name].arrow}, not {array.type}")
    missing = [n for n in INSERT_COLUMNS if n not in columns and not (BY_NAME[n].default or BY_NAME[n].nullable)]
    if missing:
        raise ValueError(f"{TABLE} needs {', '.join(missing)}")
    return pa.table({name: columns[name] for name in INSERT_COLUMNS if name in columns})
