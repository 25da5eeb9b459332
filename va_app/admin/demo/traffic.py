"""``va demo generate``: synthetic traffic for load, dashboards and anomaly detection.

Straight into ClickHouse (the fast path: this process must own the chDB directory, so stop
``make run`` first in the embedded setup) or through the real pipeline (bus -> ingest
worker), with a progress bar either way. Generation runs in a thread while the previous
batch is written, so the slower of the two sets the pace.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from analytics import generator
from analytics.schema import apply_schema
from core import clickhouse, db
from core.bus import get_bus
from core.config import get_settings
from models.repositories import agents as agents_repo
from models.repositories import tenants as tenants_repo

BATCH = 500_000
BUS_MESSAGE_EVENTS = 1000


@dataclass
class TrafficRequest:
    events: int
    days: float
    tenants: int
    agents: int
    through_pipeline: bool = False
    incidents: list[str] = field(default_factory=list)
    seed: int = 7


def parse_incident(spec: str, now: dt.datetime) -> generator.Incident:
    try:
        agent, hours_ago, minutes = spec.rsplit(":", 2)
        start = now - dt.timedelta(hours=float(hours_ago))
        return generator.Incident(agent, start, start + dt.timedelta(minutes=float(minutes)))
    except ValueError as exc:
        raise ValueError(f"incident '{spec}' must look like AGENT_ID:HOURS_AGO:DURATION_MIN") from exc


async def _demo_tenant() -> generator.TenantSpec | None:
    """The seeded demo tenant with its real agents, so the console shows the traffic."""
    try:
        async with db.session_scope() as session:
            tenant = await tenants_repo.get_tenant_by_slug(session=session, slug=get_settings().demo_tenant_slug)
            if tenant is None:
                return None
            agents = await agents_repo.list_agents(session=session, tenant_id=tenant.id)
            if not agents:
                return None
            return generator.TenantSpec(
                str(tenant.id), tuple(generator.AgentSpec(str(a.id), (1, 2)) for a in agents), weight=3.0
            )
    except Exception:  # no PostgreSQL reachable: synthetic tenants only
        return None


async def generate_traffic(req: TrafficRequest, console: Console) -> dict[str, Any]:
    if req.events <= 0 or req.days <= 0:
        raise ValueError("--events and --days must be positive")
    now = dt.datetime.now(dt.UTC)
    tenants = generator.synthetic_tenants(req.tenants, req.agents, req.seed)
    demo = await _demo_tenant()
    if demo is not None:
        tenants.insert(0, demo)
    spec = generator.GeneratorSpec(
        tenants=tenants,
        events=req.events,
        end=now,
        days=req.days,
        seed=req.seed,
        incidents=[parse_incident(i, now) for i in req.incidents],
    )
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("generating", total=req.events, rate="")
        if req.through_pipeline:
            written = await _through_bus(spec, progress, task, started)
        else:
            written = await asyncio.to_thread(_straight, spec, progress, task, started)
    elapsed = time.perf_counter() - started
    return {
        "events": written,
        "tenants": len(tenants),
        "demo_tenant_included": demo is not None,
        "seconds": round(elapsed, 2),
        "events_per_second": round(written / elapsed) if elapsed else None,
        "path": "bus" if req.through_pipeline else "clickhouse",
    }


def _straight(spec: generator.GeneratorSpec, progress: Progress, task: Any, started: float) -> int:
    apply_schema()
    batches: queue.Queue[pa.Table | None] = queue.Queue(maxsize=2)

    def produce() -> None:
        for batch in generator.generate_batches(spec, BATCH):
            batches.put(batch)
        batches.put(None)

    threading.Thread(target=produce, daemon=True).start()
    written = 0
    while (batch := batches.get()) is not None:
        generator.write_batch(batch)
        written += batch.num_rows
        rate = written / (time.perf_counter() - started)
        progress.update(task, completed=written, rate=f"{rate:,.0f} ev/s")
    clickhouse.close()
    return written


async def _through_bus(spec: generator.GeneratorSpec, progress: Progress, task: Any, started: float) -> int:
    bus = get_bus()
    written = 0
    try:
        for batch in generator.generate_batches(spec, 50_000):
            envelopes = generator.events_as_envelopes(batch)
            by_tenant: dict[str, list[dict[str, object]]] = {}
            for env in envelopes:
                by_tenant.setdefault(str(env["tenant_id"]), []).append(env)
            items = []
            for tenant_id, events in by_tenant.items():
                for i in range(0, len(events), BUS_MESSAGE_EVENTS):
                    chunk = events[i : i + BUS_MESSAGE_EVENTS]
                    items.append((tenant_id, orjson.dumps({"v": 1, "fmt": "va", "events": chunk})))
            await bus.publish_many("conversation.logs", items)
            written += batch.num_rows
            rate = written / (time.perf_counter() - started)
            progress.update(task, completed=written, rate=f"{rate:,.0f} ev/s")
    finally:
        await bus.close()
    return written
