"""Exactly once per event, before the rollups see it: the ingest dedup window.

The ``events`` table and its materialized views count every row they are given: a view sees
an insert before (and whether or not) the ReplacingMergeTree ever merges a duplicate away,
and the rollups it feeds are sums. Manifests and ``insert_deduplication_token`` already make
a *batch* count once across crashes; this module makes an *event* count once, whichever
batches, messages or requests carry it:

1. **In the batch**: the first row of each ``(tenant_id, event_id)`` is kept, later copies
   dropped (a producer that sent one event twice in a request, or two bus messages fetched
   together).
2. **Across batches**: each remaining event is claimed in Redis with ``SET key token NX``
   (one Lua call per tenant and 5000 events; on a conflict the holder is read with ``GET``).
   An event whose claim is held by *another* insert token was written (or is being written)
   by that batch and is dropped; a claim held by *this* token is our own from an attempt that
   crashed, so a batch replayed under its manifest's token keeps exactly the rows it kept the
   first time and ClickHouse's token dedup then drops the whole insert (raw and views) as
   before.

Limits, also in the README: a claim lives ``ingest.dedup_window_s`` (a day by default); a
copy arriving later is written again (``va analytics verify`` finds and ``--repair`` removes
it). Memory is about 190 bytes of Redis per event in the window (measured by
``benchmarks/exactly_once.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc
import redis.asyncio as aioredis

from core import keys

# KEYS: the claims of one tenant; ARGV: token, ttl. Returns 1 (keep) or 0 (drop) per key.
# SET NX first and GET only on a conflict: most events are new, and for them this measured
# 3.7 s instead of 5.6 s per 100k claims with ``SET ... NX GET`` (on the loaded test machine).
_CLAIM = """
local out = {}
for i, key in ipairs(KEYS) do
    if redis.call('SET', key, ARGV[1], 'NX', 'EX', ARGV[2]) then out[i] = 1
    elseif redis.call('GET', key) == ARGV[1] then out[i] = 1
    else out[i] = 0 end
end
return out
"""
_CHUNK = 5000  # keys per script call: bounded Redis blocking time (~5 ms)


Identity = tuple[str, str]
"""What makes two rows the same event: ``(tenant_id, event_id)``, lower-case (``core.events``)."""


def identities(table: pa.Table) -> list[Identity]:
    tenants = pc.utf8_lower(table.column("tenant_id")).to_pylist()
    events = pc.utf8_lower(table.column("event_id")).to_pylist()
    return list(zip(tenants, events, strict=True))


def first_occurrences(ids: Sequence[Identity]) -> list[bool]:
    """True for the first row of each identity, in order."""
    seen: set[Identity] = set()
    keep: list[bool] = []
    for identity in ids:
        keep.append(identity not in seen)
        seen.add(identity)
    return keep


class DedupWindow:
    """Claims of event identities in Redis, owned by insert tokens."""

    def __init__(self, client: aioredis.Redis, window_s: int) -> None:
        self._redis = client
        self.window_s = window_s
        self._script = client.register_script(_CLAIM)

    async def claim(self, ids: Sequence[Identity], token: str) -> list[bool]:
        """For distinct identities: True = this token owns the event (write it), False = another
        insert owns it (drop it)."""
        by_tenant: dict[str, list[int]] = {}
        for index, (tenant, _) in enumerate(ids):
            by_tenant.setdefault(tenant, []).append(index)
        keep = [False] * len(ids)
        for tenant, positions in by_tenant.items():
            prefix = keys.event_seen_prefix(tenant)
            for start in range(0, len(positions), _CHUNK):
                chunk = positions[start : start + _CHUNK]
                claims = [prefix + bytes.fromhex(ids[i][1].replace("-", "")) for i in chunk]
                answers = await self._script(keys=claims, args=[token, self.window_s])
                for i, answer in zip(chunk, answers, strict=True):
                    keep[i] = bool(answer)
        return keep

    async def filter(self, tables: Sequence[pa.Table], token: str) -> tuple[list[pa.Table], int]:
        """The rows of ``tables`` (one insert unit, in order) that are new events, and how many
        rows were dropped as duplicates."""
        per_table = [identities(t) for t in tables]
        flat = [i for ids in per_table for i in ids]
        first = first_occurrences(flat)
        distinct = [i for i, f in zip(flat, first, strict=True) if f]
        owned = iter(await self.claim(distinct, token)) if distinct else iter(())
        keep_flat = [f and next(owned) for f in first]
        out: list[pa.Table] = []
        offset = 0
        for table, ids in zip(tables, per_table, strict=True):
            mask = keep_flat[offset : offset + len(ids)]
            offset += len(ids)
            out.append(table if all(mask) else table.filter(pa.array(mask, type=pa.bool_())))
        dropped = len(flat) - sum(keep_flat)
        return out, dropped
