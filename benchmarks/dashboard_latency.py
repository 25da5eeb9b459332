"""Benchmarks (b) and (c): dashboard panels and the raw explorer at 10M / 100M events.

Builds (once, then reuses) a chDB dataset of N synthetic events over 30 days for 50 tenants
under ``.data/bench/events-<N>``, then times every dashboard panel for the largest tenant
over the last 7 days — from the rollups and, for comparison, from the raw table — and the
raw-table explorer queries.

    .venv/bin/python benchmarks/dashboard_latency.py --events 10000000
    .venv/bin/python benchmarks/dashboard_latency.py --events 100000000   # ~12 min to build once

Goals: dashboard panels under 150 ms p95 at 100M events; explorer under 2 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PANELS = ("summary", "timeseries", "by_agent", "by_version", "by_model", "by_channel", "by_intent")
END = dt.datetime(2026, 11, 25, 0, 0, tzinfo=dt.UTC)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def _time(fn, runs: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    fn()  # warm-up: first touch of the parts from disk
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), _percentile(samples, 0.95)


def build(events: int) -> None:
    from analytics import generator
    from analytics.schema import apply_schema
    from core import clickhouse

    apply_schema()
    have = int(clickhouse.query_rows("SELECT count() FROM va.events")[0][0])
    if have >= events:
        print(f"dataset ready: {have:,} events")
        return
    print(f"building dataset: {events - have:,} more events (one-time) ...", flush=True)
    spec = generator.GeneratorSpec(
        generator.synthetic_tenants(50, 6, seed=3), events - have, END, days=30, seed=have + 1
    )
    started = time.perf_counter()
    done = 0
    for batch in generator.generate_batches(spec, 1_000_000):
        generator.write_batch(batch)
        done += batch.num_rows
        rate = done / (time.perf_counter() - started)
        print(f"\r  {done:,} / {events - have:,}  ({rate:,.0f} events/s)", end="", flush=True)
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description="dashboard and explorer latency at scale")
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--skip-raw", action="store_true", help="only the rollup path")
    args = parser.parse_args()

    data = ROOT / ".data" / "bench" / f"events-{args.events}"
    data.mkdir(parents=True, exist_ok=True)
    os.environ.update({"DATA_DIR": str(data), "CLICKHOUSE_URL": f"chdb:///{data / 'chdb'}"})
    build(args.events)

    from analytics.queries import explorer
    from analytics.queries import metrics as mq
    from core import clickhouse
    from va_app.domain.dashboards.service import DashboardRequest, resolve, run_panel

    total = int(clickhouse.query_rows("SELECT count() FROM va.events")[0][0])
    tenant, tenant_events = clickhouse.query_rows(
        "SELECT tenant_id, count() c FROM va.events GROUP BY tenant_id ORDER BY c DESC LIMIT 1"
    )[0]
    tenant = str(tenant)
    print(f"\n{total:,} events in the table; largest tenant {tenant} has {tenant_events:,}")
    start = END - dt.timedelta(days=7)
    print(f"panels over {start:%Y-%m-%d} .. {END:%Y-%m-%d} (hourly buckets), {args.runs} runs each\n")
    print(f"{'panel':<14}{'rollup p50':>12}{'rollup p95':>12}{'raw p50':>12}{'raw p95':>12}{'speed-up':>10}")
    worst = 0.0
    for panel in PANELS:
        query = resolve(tenant, DashboardRequest(start=start, end=END, granularity="hour"))
        r50, r95 = _time(lambda q=query, p=panel: run_panel(q, p), args.runs)
        worst = max(worst, r95)
        if args.skip_raw:
            print(f"{panel:<14}{r50:>10.1f}ms{r95:>10.1f}ms")
            continue
        raw_query = mq.MetricQuery(**{**query.__dict__, "source": "raw"})
        w50, w95 = _time(lambda q=raw_query, p=panel: run_panel(q, p), max(3, args.runs // 5))
        print(f"{panel:<14}{r50:>10.1f}ms{r95:>10.1f}ms{w50:>10.1f}ms{w95:>10.1f}ms{w50 / r50:>9.0f}x")
    print(f"\nworst panel p95 from rollups: {worst:.1f} ms (goal < 150 ms)")

    # The summary counts conversations exactly from the raw turns up to mq.EXACT_DISTINCT_MAX_TURNS
    # in its window (and active conversations always): its cost by range length.
    print(f"\nsummary (with exact conversation counts) by range, {args.runs} runs each")
    for label, span in (("1 h", dt.timedelta(hours=1)), ("24 h", dt.timedelta(days=1)), ("7 d", dt.timedelta(days=7))):
        query = resolve(tenant, DashboardRequest(start=END - span - dt.timedelta(minutes=23), end=END))
        row = mq.summary(query)
        s50, s95 = _time(lambda q=query: mq.summary(q), args.runs)
        worst = max(worst, s95)
        exact = "exact" if row["conversations_exact"] else "estimate"
        print(
            f"  {label:<6}{row['events']:>10,} turns {row['conversations']:>10,} conversations ({exact}) "
            f"{s50:>8.1f} ms p50 {s95:>8.1f} ms p95"
        )
    print(f"worst panel p95 including these: {worst:.1f} ms (goal < 150 ms)")

    print(f"\nraw explorer over 30 days of the largest tenant ({args.runs} runs each)")
    month = END - dt.timedelta(days=30)
    explorer_queries = {
        "errors, newest 100 turns": explorer.ExplorerQuery(tenant, month, END, {"outcome": "error"}),
        "slow turns on whatsapp": explorer.ExplorerQuery(
            tenant, month, END, {"channel": "whatsapp"}, min_latency_ms=2000
        ),
        "conversations w/ handoff intent": explorer.ExplorerQuery(tenant, month, END, {"intent": "complaint"}),
    }
    worst_explorer = 0.0
    for name, q in explorer_queries.items():
        fn = explorer.search_conversations if "conversations" in name else explorer.search_turns
        p50, p95 = _time(lambda f=fn, qq=q: f(qq), max(5, args.runs // 2))
        worst_explorer = max(worst_explorer, p95)
        print(f"  {name:<34}{p50:>9.1f} ms p50 {p95:>9.1f} ms p95")
    sample = explorer.search_turns(explorer.ExplorerQuery(tenant, month, END, limit=1))
    if sample.height:
        cid = sample["conversation_id"][0]
        p50, p95 = _time(lambda: explorer.transcript(tenant, cid, END), max(5, args.runs // 2))
        worst_explorer = max(worst_explorer, p95)
        print(f"  {'one transcript by conversation id':<34}{p50:>9.1f} ms p50 {p95:>9.1f} ms p95")
    print(f"\nworst explorer p95: {worst_explorer:.0f} ms (goal < 2000 ms)")


if __name__ == "__main__":
    main()
