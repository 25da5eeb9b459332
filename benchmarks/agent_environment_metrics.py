"""Per-environment agent KPIs: the price of reading one environment from the raw events.

The rollups are not keyed by environment, so ``GET /agents/{id}/metrics?environment=...``
(and the console's KPIs per version) read the raw ``events`` rows of one agent, deduplicated
with ``FINAL``; ``environment=all`` reads the rollups. This builds (once, then reuses) a chDB
dataset of one busy agent — N events over 7 days, 90 % production and 10 % staging — under
``.data/bench/agent-env-<N>`` and times the agent panels (summary, hourly timeseries,
by_version) over the last 24 h and 7 days both ways.

    .venv/bin/python benchmarks/agent_environment_metrics.py --events 2000000

Goal: the per-environment panels under 150 ms p95 (the dashboards' goal), and each
environment's totals adding up to the all-environment total (printed as a check).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

END = dt.datetime(2026, 11, 25, 0, 0, tzinfo=dt.UTC)
TENANT = str(uuid.UUID(int=0xE17, version=4))
AGENT = "busy-agent"
PANELS = ("summary", "timeseries", "by_version")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _time(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), _p95(samples)


def build(events: int) -> None:
    from analytics import generator
    from analytics.schema import apply_schema
    from core import clickhouse

    apply_schema()
    if int(clickhouse.query_rows("SELECT count() FROM va.events")[0][0]) >= events:
        return
    print(f"building {events:,} events of one agent (one-time) ...", flush=True)
    tenants = [generator.TenantSpec(TENANT, (generator.AgentSpec(AGENT, (1, 2)),))]
    for environment, share, seed in (("production", 0.9, 1), ("staging", 0.1, 2)):
        spec = generator.GeneratorSpec(tenants, int(events * share), END, days=7, seed=seed, environment=environment)
        for batch in generator.generate_batches(spec, 1_000_000):
            generator.write_batch(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description="per-environment agent KPIs: raw events vs rollups")
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    data = ROOT / ".data" / "bench" / f"agent-env-{args.events}"
    data.mkdir(parents=True, exist_ok=True)
    os.environ.update({"DATA_DIR": str(data), "CLICKHOUSE_URL": f"chdb:///{data / 'chdb'}"})
    build(args.events)

    from va_app.domain.dashboards.service import DashboardRequest, resolve, run_panel

    print(f"{args.events:,} events of one agent over 7 days; {args.runs} runs per panel\n")
    print(f"{'range':<6}{'panel':<12}{'production p50':>16}{'p95':>9}{'all (rollups) p50':>20}{'p95':>9}")
    worst = 0.0
    for label, days in (("24h", 1), ("7d", 7)):
        start = END - dt.timedelta(days=days)
        base = DashboardRequest(start=start, end=END, granularity="hour", filters={"agent": AGENT})
        for panel in PANELS:
            per_env = resolve(TENANT, DashboardRequest(**{**base.__dict__, "environment": "production"}))
            everything = resolve(TENANT, base)
            e50, e95 = _time(lambda q=per_env, p=panel: run_panel(q, p), args.runs)
            a50, a95 = _time(lambda q=everything, p=panel: run_panel(q, p), args.runs)
            worst = max(worst, e95)
            print(f"{label:<6}{panel:<12}{e50:>14.1f}ms{e95:>7.1f}ms{a50:>18.1f}ms{a95:>7.1f}ms")
    week = END - dt.timedelta(days=7)
    totals = {
        env: run_panel(resolve(TENANT, DashboardRequest(start=week, end=END, environment=env)), "summary")["events"]
        for env in ("production", "staging", "development")
    }
    everything = run_panel(resolve(TENANT, DashboardRequest(start=week, end=END)), "summary")["events"]
    print(f"\nworst per-environment panel p95: {worst:.1f} ms (goal < 150 ms)")
    print(f"totals over 7 days: {totals} -> sum {sum(totals.values()):,}; all environments {everything:,}")


if __name__ == "__main__":
    main()
