"""Synthetic conversation traffic, written straight into ClickHouse as Arrow batches.

The shape is what operators see in real deployments: a daily cycle peaking mid-afternoon,
quieter weekends, a skewed intent mix, a model mix that follows the routing tiers, cache
hits on repeated questions, and occasional incidents (error and latency bursts). Generation
is vectorised (numpy) so millions of rows per second are possible on this machine.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pyarrow as pa

from core import clickhouse, event_record
from core.channels import Channel
from core.config import get_settings

INTENTS = np.array(
    [
        "booking_change",
        "check_in_time",
        "amenities",
        "billing_question",
        "cancel_reservation",
        "loyalty_points",
        "room_service",
        "complaint",
        "wifi_help",
        "other",
    ]
)
INTENT_WEIGHTS = np.array([0.18, 0.16, 0.14, 0.1, 0.09, 0.08, 0.08, 0.06, 0.06, 0.05])
CHANNELS = np.array([c.value for c in (Channel.WEB, Channel.WHATSAPP, Channel.SLACK, Channel.SMS, Channel.TEAMS)])
CHANNEL_WEIGHTS = np.array([0.45, 0.3, 0.1, 0.1, 0.05])
# (model, provider, $ per 1k prompt tokens, $ per 1k completion tokens, base latency ms)
MODELS = [
    ("local-kb", "local", 0.0, 0.0, 40.0),
    ("gpt-4o-mini", "openai", 0.00015, 0.0006, 450.0),
    ("claude-3-5-haiku", "anthropic", 0.0008, 0.004, 520.0),
    ("gpt-4o", "openai", 0.0025, 0.01, 900.0),
]
MODEL_WEIGHTS = np.array([0.35, 0.4, 0.15, 0.1])
UNANSWERED_SHARE = 0.04
OUTCOMES = np.array(["answered", "handoff", "error", "unanswered"])  # index = outcome_idx
CACHE_KINDS = np.array(["none", "exact", "semantic"])


@dataclass(frozen=True)
class AgentSpec:
    agent_id: str
    versions: tuple[int, ...] = (1,)


@dataclass(frozen=True)
class TenantSpec:
    tenant_id: str
    agents: tuple[AgentSpec, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class Incident:
    """A window where one agent's errors and latency jump (what anomaly detection should flag)."""

    agent_id: str
    start: dt.datetime
    end: dt.datetime
    error_rate: float = 0.25
    latency_factor: float = 4.0
    version: int | None = None  # when set, only this version's traffic is hit (a bad rollout candidate)


@dataclass
class GeneratorSpec:
    tenants: Sequence[TenantSpec]
    events: int
    end: dt.datetime
    days: float = 1.0
    seed: int = 7
    turns_per_conversation: float = 4.0
    incidents: Sequence[Incident] = field(default_factory=list)
    # Synthetic turns are users' traffic of the environment they are said to be served in
    # (core.environments; "" writes turns of unknown environment, as rows from before it was recorded).
    environment: str = "production"


def _intensity(ts_s: np.ndarray) -> np.ndarray:
    """Relative traffic at each epoch second: daily cycle (peak ~14:00 UTC) and weekend dip."""
    hours = (ts_s % 86400) / 3600.0
    daily = 0.25 + 0.75 * (0.5 + 0.5 * np.cos((hours - 14.0) / 24.0 * 2 * np.pi)) ** 1.5
    weekday = ((ts_s // 86400) + 3) % 7  # 1970-01-01 was a Thursday -> Monday = 0
    return daily * np.where(weekday >= 5, 0.6, 1.0)


def _timestamps(rng: np.random.Generator, n: int, start_s: float, end_s: float) -> np.ndarray:
    out = np.empty(0, dtype=np.float64)
    while out.size < n:
        cand = rng.uniform(start_s, end_s, size=int((n - out.size) * 1.8) + 16)
        keep = rng.uniform(0, 1, size=cand.size) < _intensity(cand)
        out = np.concatenate([out, cand[keep]])
    return out[:n]


def generate_batches(spec: GeneratorSpec, batch_size: int = 500_000) -> Iterator[pa.Table]:
    """Yield Arrow tables of ``batch_size`` rows until ``spec.events`` rows were produced."""
    rng = np.random.default_rng(spec.seed)
    end_s = spec.end.timestamp()
    start_s = end_s - spec.days * 86400
    pairs = [(t, a) for t in spec.tenants for a in t.agents]
    pair_weights = np.array([t.weight for t, _ in pairs], dtype=np.float64)
    pair_weights /= pair_weights.sum()
    produced = 0
    while produced < spec.events:
        n = min(batch_size, spec.events - produced)
        yield _batch(rng, n, start_s, end_s, pairs, pair_weights, spec)
        produced += n


def _batch(
    rng: np.random.Generator,
    n: int,
    start_s: float,
    end_s: float,
    pairs: list[tuple[TenantSpec, AgentSpec]],
    pair_weights: np.ndarray,
    spec: GeneratorSpec,
) -> pa.Table:
    ts = _timestamps(rng, n, start_s, end_s)
    pair_idx = rng.choice(len(pairs), size=n, p=pair_weights)
    versions = np.array([max(p[1].versions) for p in pairs])[pair_idx]
    older = np.array([min(p[1].versions) for p in pairs])[pair_idx]
    versions = np.where(rng.uniform(size=n) < 0.1, older, versions)

    model_idx = rng.choice(len(MODELS), size=n, p=MODEL_WEIGHTS)
    prices_in = np.array([m[2] for m in MODELS])[model_idx]
    prices_out = np.array([m[3] for m in MODELS])[model_idx]
    base_latency = np.array([m[4] for m in MODELS])[model_idx]
    cache = rng.choice(3, size=n, p=[0.78, 0.14, 0.08])
    prompt_tokens = rng.gamma(4.0, 120.0, size=n).astype(np.uint32) + 50
    completion_tokens = rng.gamma(3.0, 45.0, size=n).astype(np.uint32) + 10
    latency = base_latency * rng.lognormal(0.0, 0.35, size=n)
    latency = np.where(cache > 0, rng.uniform(3, 15, size=n), latency)
    cost = (prompt_tokens * prices_in + completion_tokens * prices_out) / 1000.0
    cost = np.where(cache > 0, 0.0, cost)

    error_p = np.full(n, 0.004)
    agent_of_pair = np.array([p[1].agent_id for p in pairs])
    for inc in spec.incidents:
        hit = (agent_of_pair[pair_idx] == inc.agent_id) & (ts >= inc.start.timestamp()) & (ts < inc.end.timestamp())
        if inc.version is not None:
            hit &= versions == inc.version
        error_p = np.where(hit, inc.error_rate, error_p)
        latency = np.where(hit, latency * inc.latency_factor, latency)
    roll = rng.uniform(size=n)
    intent_idx = rng.choice(len(INTENTS), size=n, p=INTENT_WEIGHTS)
    handoff_p = np.where(INTENTS[intent_idx] == "complaint", 0.35, 0.05)
    # a few turns the agent cannot answer (the runtime's ``unanswered``): they count against automation
    unanswered_p = UNANSWERED_SHARE
    outcome_idx = np.where(
        roll < error_p,
        2,
        np.where(roll < error_p + handoff_p, 1, np.where(roll < error_p + handoff_p + unanswered_p, 3, 0)),
    )
    csat_given = rng.uniform(size=n) < 0.12
    csat = np.clip(np.round(rng.normal(np.where(outcome_idx == 0, 4.3, 2.6), 0.8)), 1, 5).astype(np.uint8)

    conv_count = max(1, int(n / spec.turns_per_conversation))
    conversation_ids = random_uuids(rng, conv_count).to_arrow().take(pa.array(rng.integers(0, conv_count, size=n)))
    user_count = max(1, conv_count // 2)
    end_users = (
        pl.Series("u", rng.integers(0, user_count, size=n)).cast(pl.String).str.replace(r"^", "user-").to_arrow()
    )
    event_ids = random_uuids(rng, n).to_arrow()

    ts_ms = (ts * 1000).astype("int64")
    columns = {
        "event_id": event_ids.cast(pa.string()),
        "tenant_id": _dict(pair_idx, [p[0].tenant_id for p in pairs]),
        "type": _dict(np.zeros(n, dtype=np.int32), ["conversation.logs"]),
        "ts": pa.array(ts_ms, pa.timestamp("ms", tz="UTC")),
        "source": _dict(np.zeros(n, dtype=np.int32), ["generator"]),
        "agent_id": _dict(pair_idx, [p[1].agent_id for p in pairs]),
        "version": pa.array(versions.astype(np.uint32), pa.uint32()),
        "conversation_id": conversation_ids.cast(pa.string()),
        "end_user_id": end_users.cast(pa.string()),
        "channel": _dict(rng.choice(len(CHANNELS), size=n, p=CHANNEL_WEIGHTS), list(CHANNELS)),
        "environment": _dict(np.zeros(n, dtype=np.int32), [spec.environment]),
        "model": _dict(model_idx, [m[0] for m in MODELS]),
        "provider": _dict(model_idx, [m[1] for m in MODELS]),
        "intent": _dict(intent_idx, list(INTENTS)),
        "outcome": _dict(outcome_idx, list(OUTCOMES)),
        "cache_kind": _dict(cache, list(CACHE_KINDS)),
        "latency_ms": pa.array(latency.astype(np.float32), pa.float32()),
        "prompt_tokens": pa.array(np.where(cache > 0, 0, prompt_tokens).astype(np.uint32), pa.uint32()),
        "completion_tokens": pa.array(np.where(cache > 0, 0, completion_tokens).astype(np.uint32), pa.uint32()),
        "cost_usd": pa.array(cost.astype(np.float64), pa.float64()),
        "csat": pa.array(csat, pa.uint8(), mask=~csat_given),
        "is_error": pa.array((outcome_idx == 2).astype(np.uint8), pa.uint8()),
        "is_handoff": pa.array((outcome_idx == 1).astype(np.uint8), pa.uint8()),
    }
    return event_record.arrow_table(columns)  # payload left to its default ('{}')


def _dict(indices: np.ndarray, values: Sequence[str]) -> pa.DictionaryArray:
    """Low-cardinality strings as an Arrow dictionary: cheap to build and to parse.

    ClickHouse rejects dictionaries with repeated values, so equal values share one slot.
    """
    unique, remap = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    codes = remap.astype(np.int32)[np.asarray(indices, dtype=np.int64)]
    return pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(unique.tolist(), pa.string()))


def random_uuids(rng: np.random.Generator, n: int) -> pl.Series:
    """``n`` random version-4 UUID strings, built column-wise (a Python loop costs ~1 s per million)."""
    raw = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    binary = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), n, [None, pa.py_buffer(raw.tobytes())])
    series = pl.from_arrow(binary)
    assert isinstance(series, pl.Series)
    hexed = series.cast(pl.Binary).bin.encode("hex")
    parts = [hexed.str.slice(a, b) for a, b in ((0, 8), (8, 4), (12, 4), (16, 4), (20, 12))]
    return pl.select(pl.concat_str(parts, separator="-")).to_series()


def write_batch(table: pa.Table) -> None:
    """Insert straight into ``events`` (the rollup views run in parallel with the insert)."""
    db = get_settings().clickhouse.database
    with clickhouse.locked_client() as client:
        client.insert_arrow(f"{db}.events", table, settings={"parallel_view_processing": 1, "max_insert_threads": 2})


def synthetic_tenants(tenants: int, agents_per_tenant: int, seed: int = 11) -> list[TenantSpec]:
    """Tenants of very different sizes (a few large, many small), as on a real platform."""
    rng = np.random.default_rng(seed)
    specs = []
    for t in range(tenants):
        tenant_id = str(uuid.UUID(int=int(rng.integers(1, 2**62)) << 64 | t, version=4))
        agents = tuple(
            AgentSpec(f"agent-{t}-{a}", tuple(range(1, int(rng.integers(1, 4)) + 1))) for a in range(agents_per_tenant)
        )
        specs.append(TenantSpec(tenant_id, agents, weight=float(rng.pareto(1.5) + 0.2)))
    return specs


def events_as_envelopes(table: pa.Table) -> list[dict[str, object]]:
    """Rows of a generated batch as bus envelopes, for sending through the real pipeline."""
    rows = table.to_pylist()
    not_payload = {*event_record.ENVELOPE_COLUMNS, *event_record.DERIVED_COLUMNS}
    out: list[dict[str, object]] = []
    for row in rows:
        payload = {k: v for k, v in row.items() if k not in not_payload}
        out.append(
            {
                "event_id": row["event_id"],
                "tenant_id": row["tenant_id"],
                "type": row["type"],
                "ts": row["ts"].isoformat(timespec="milliseconds"),
                "source": row["source"],
                "payload": payload,
            }
        )
    return out
