"""Labelled synthetic KPI series for evaluating and testing the anomaly detectors.

Pure numpy/polars, no database: what ``benchmarks/anomaly_eval.py`` scores and the unit
tests use. The series look like an agent's real traffic — a daily cycle peaking mid-afternoon,
quieter weekends, day-to-day level noise, a slow trend — and each KPI has the noise of how it
is computed: event counts are Poisson, error and handoff counts binomial, p95 latency the
quantile of lognormal turn latencies (its noise shrinks with volume), cost a sum of gamma
per-turn costs.

Incident shapes (each with its window, the span an operator would want an alarm in):

* ``spike`` — 1-3 h: errors, latency, handoffs or volume jump;
* ``level_shift`` — a step that lasts three days (a bad release, a lost channel);
* ``slow_drift`` — a 24-48 h ramp to 1.6-2x, then a plateau (a degrading dependency);
* ``seasonal_break`` — one day whose daily cycle is shifted by 6-9 hours (a campaign, a
  broken time zone): the volume is normal overall, wrong hour by hour;
* ``cost_runaway`` — cost per turn grows exponentially to 3-8x over 6-12 h (a loop calling
  an expensive model) while volume stays normal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

SHAPES = ("spike", "level_shift", "slow_drift", "seasonal_break", "cost_runaway")
HOUR_S = 3600
DAY_S = 86_400
START_S = 1_767_225_600  # 2026-01-01 00:00 UTC, a Thursday


@dataclass(frozen=True)
class LabelledIncident:
    shape: str
    metric: str
    start: int  # bucket index, inclusive
    end: int  # bucket index, exclusive


@dataclass
class _Drivers:
    """Per-bucket multipliers the incidents act on (the rendering adds the noise)."""

    volume: np.ndarray
    error_p: np.ndarray
    handoff_p: np.ndarray
    latency: np.ndarray
    cost_per_event: np.ndarray
    cycle_shift_h: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _daily(hours: np.ndarray) -> np.ndarray:
    return 0.25 + 0.75 * (0.5 + 0.5 * np.cos((hours - 14.0) / 24.0 * 2 * np.pi)) ** 1.5


def _weekly(ts_s: np.ndarray) -> np.ndarray:
    weekday = ((ts_s // DAY_S) + 3) % 7
    return np.where(weekday >= 5, 0.6, 1.0)


def _drivers(rng: np.random.Generator, n: int, step_s: int) -> _Drivers:
    peak_per_hour = float(np.exp(rng.uniform(np.log(200), np.log(3000))))
    per_day = DAY_S // step_s
    day_noise = np.repeat(rng.lognormal(0.0, 0.05, size=n // per_day + 2), per_day)[:n]
    trend = 1.0 + rng.uniform(-0.1, 0.15) * np.arange(n) / (30 * per_day)
    return _Drivers(
        volume=np.full(n, peak_per_hour * step_s / HOUR_S) * day_noise * trend,
        error_p=np.full(n, rng.uniform(0.002, 0.01)),
        handoff_p=np.full(n, rng.uniform(0.05, 0.12)),
        latency=np.full(n, rng.uniform(400.0, 1500.0)),
        cost_per_event=np.full(n, rng.uniform(0.0008, 0.005)),
        cycle_shift_h=np.zeros(n),
    )


def _render(rng: np.random.Generator, d: _Drivers, ts_s: np.ndarray) -> pl.DataFrame:
    hours = (ts_s % DAY_S) / HOUR_S
    seasonal = _daily((hours - d.cycle_shift_h) % 24) * _weekly(ts_s)
    lam = d.volume * seasonal
    events = rng.poisson(lam)
    safe = np.maximum(events, 1)
    errors = rng.binomial(events, np.clip(d.error_p, 0, 1))
    handoffs = rng.binomial(events, np.clip(d.handoff_p, 0, 1))
    load = 1.0 + 0.15 * _daily(hours)  # busier hours are a little slower
    latency = d.latency * load * np.exp(rng.normal(0.0, 0.75 / np.sqrt(safe)) + rng.normal(0.0, 0.02, events.size))
    cv2 = 1.5**2
    cost = np.where(events > 0, rng.gamma(safe / cv2, d.cost_per_event * cv2), 0.0)
    has = events > 0
    return pl.DataFrame(
        {
            "bucket": pl.Series(ts_s * 1_000_000).cast(pl.Datetime("us", "UTC")),
            "events": events.astype(np.int64),
            "error_rate": np.where(has, errors / safe, np.nan),
            "latency_p95": np.where(has, latency, np.nan),
            "cost_usd": cost,
            "handoff_rate": np.where(has, handoffs / safe, np.nan),
        }
    ).with_columns(pl.col("error_rate", "latency_p95", "handoff_rate").fill_nan(None))


def _inject(rng: np.random.Generator, d: _Drivers, shape: str, start: int, per_hour: int) -> LabelledIncident:
    def hours(lo: int, hi: int) -> int:
        return int(rng.integers(lo, hi + 1)) * per_hour

    if shape == "spike":
        end = start + hours(1, 3)
        metric = str(rng.choice(["error_rate", "latency_p95", "handoff_rate", "events"]))
        _scale(d, rng, metric, slice(start, end), {"error_rate": (0.04, 0.12), "latency_p95": (2.0, 4.0)}, spike=True)
    elif shape == "level_shift":
        end = start + 72 * per_hour
        metric = str(rng.choice(["error_rate", "latency_p95", "handoff_rate", "events"]))
        _scale(d, rng, metric, slice(start, end), {"error_rate": (0.015, 0.03), "latency_p95": (1.4, 1.8)})
    elif shape == "slow_drift":
        ramp = hours(24, 48)
        end = start + ramp + 12 * per_hour
        metric = str(rng.choice(["error_rate", "latency_p95", "handoff_rate", "cost_usd"]))
        target = float(rng.uniform(1.6, 2.0))
        curve = np.concatenate([np.linspace(1.0, target, ramp), np.full(end - start - ramp, target)])
        _apply_curve(d, metric, slice(start, end), curve, extra_error=0.02 * (curve - 1.0) / (target - 1.0))
    elif shape == "seasonal_break":
        start -= start % (24 * per_hour)  # a calendar day
        end = start + 24 * per_hour
        metric = "events"
        d.cycle_shift_h[start:end] = float(rng.uniform(6.0, 9.0)) * rng.choice([-1.0, 1.0])
    elif shape == "cost_runaway":
        end = start + hours(6, 12)
        metric = "cost_usd"
        growth = float(rng.uniform(3.0, 8.0))
        d.cost_per_event[start:end] *= growth ** np.linspace(1.0 / (end - start), 1.0, end - start)
    else:
        raise ValueError(f"unknown shape {shape!r}; known: {SHAPES}")
    return LabelledIncident(shape, metric, start, end)


def _scale(
    d: _Drivers,
    rng: np.random.Generator,
    metric: str,
    span: slice,
    ranges: dict[str, tuple[float, float]],
    *,
    spike: bool = False,
) -> None:
    if metric == "error_rate":
        d.error_p[span] += rng.uniform(*ranges["error_rate"])
    elif metric == "latency_p95":
        d.latency[span] *= rng.uniform(*ranges["latency_p95"])
    elif metric == "handoff_rate":
        d.handoff_p[span] *= rng.uniform(2.0, 3.0) if spike else rng.uniform(1.6, 2.0)
    else:  # volume: a burst (bot traffic, a campaign) or an outage-like drop
        up = rng.uniform() < 0.5
        d.volume[span] *= (rng.uniform(2.5, 4.0) if spike else rng.uniform(1.5, 1.8)) if up else rng.uniform(0.2, 0.5)


def _apply_curve(d: _Drivers, metric: str, span: slice, curve: np.ndarray, extra_error: np.ndarray) -> None:
    if metric == "error_rate":
        d.error_p[span] += extra_error
    elif metric == "latency_p95":
        d.latency[span] *= curve
    elif metric == "handoff_rate":
        d.handoff_p[span] *= curve
    else:
        d.cost_per_event[span] *= curve


def synthetic_series(
    shape: str,
    seed: int,
    *,
    days: int = 35,
    warmup_days: int = 14,
    incidents: int = 3,
    step_s: int = HOUR_S,
) -> tuple[pl.DataFrame, list[LabelledIncident]]:
    """One agent's KPI frame with ``incidents`` labelled incidents of ``shape`` after warm-up.

    Incidents are spread over the evaluated days, at random hours, never overlapping (each
    gets its own stretch of at least four days, so the window of a three-day shift fits).
    """
    rng = np.random.default_rng(seed)
    per_hour = HOUR_S // step_s
    n = days * 24 * per_hour
    ts_s = START_S + np.arange(n, dtype=np.int64) * step_s
    drivers = _drivers(rng, n, step_s)
    stretch = (days - warmup_days) * 24 * per_hour // max(incidents, 1)
    labelled = []
    for k in range(incidents):
        lo = warmup_days * 24 * per_hour + k * stretch
        start = lo + int(rng.integers(0, max(stretch - 96 * per_hour, 1)))
        labelled.append(_inject(rng, drivers, shape, start, per_hour))
    return _render(rng, drivers, ts_s), labelled
