"""The short written summary at the top of a PDF/HTML report.

Plain sentences from the range's totals and the series, so someone reading the report in
an email learns the three things that matter before looking at any chart.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

RATE_METRICS = {"automation_rate", "containment_rate", "handoff_rate", "error_rate", "cache_hit_rate"}


def fmt(metric: str, value: Any) -> str:
    """A KPI value as people write it (percent, ms, dollars, thousands separators)."""
    if value is None:
        return "n/a"
    if metric in RATE_METRICS:
        return f"{float(value) * 100:.1f} %"
    if metric.startswith("latency"):
        return f"{float(value):,.0f} ms"
    if metric.startswith("cost"):
        return f"${float(value):,.4f}" if float(value) < 1 else f"${float(value):,.2f}"
    if metric == "csat":
        return f"{float(value):.2f} / 5"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{int(value):,}"


def _trend(frame: pl.DataFrame) -> str | None:
    if "events" not in frame.columns or frame.height < 4 or "bucket" not in frame.columns:
        return None
    series = frame.group_by("bucket").agg(pl.col("events").sum()).sort("bucket")["events"]
    half = series.len() // 2
    first, second = float(series[:half].sum()), float(series[half:].sum())
    if first <= 0:
        return None
    change = (second - first) / first
    direction = "rose" if change > 0 else "fell"
    return f"Volume {direction} {abs(change) * 100:.0f} % in the second half of the range against the first."


def summarise(totals: dict[str, Any], frame: pl.DataFrame, start: dt.datetime, end: dt.datetime) -> list[str]:
    """Three to five sentences about the range."""
    span = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"
    events = int(totals.get("events") or 0)
    if events == 0:
        return [f"No conversation turns were recorded from {span}."]
    lines = [
        f"From {span}: {events:,} turns in {int(totals.get('conversations') or 0):,} conversations.",
        (
            f"Automation rate {fmt('automation_rate', totals.get('automation_rate'))}, "
            f"handoffs {fmt('handoff_rate', totals.get('handoff_rate'))}, "
            f"errors {fmt('error_rate', totals.get('error_rate'))}."
        ),
        (
            f"Latency p50 {fmt('latency_p50', totals.get('latency_p50'))}, "
            f"p95 {fmt('latency_p95', totals.get('latency_p95'))}; "
            f"cost {fmt('cost_usd', totals.get('cost_usd'))} "
            f"({fmt('cost_per_resolved', totals.get('cost_per_resolved'))} per resolved turn)."
        ),
    ]
    if totals.get("csat") is not None:
        lines.append(f"Average satisfaction {fmt('csat', totals.get('csat'))}.")
    trend = _trend(frame)
    if trend:
        lines.append(trend)
    return lines
