"""The univariate detector: a seasonal robust baseline, robust z-scores and CUSUM.

One KPI series is modelled as ``x = profile(slot) + level + noise`` in a transformed space
(log for volume, latency and cost, where changes are multiplicative; identity for rates):

* **profile** — the shape of the day: per (hour of day x weekday/weekend) slot, the median of
  past deviations from a centred one-week median, over the last three weeks. The shape is
  measured *against the weekly level*, so a past level shift never flips the profile later,
  and only data that was complete at the time is used (no look-ahead).
* **level** — the median of ``x - profile`` over the trailing 24 h: follows growth and
  holidays, absorbs a persistent shift after about half a day (by then it was alarmed).
* **scale** — a robust (MAD) scale of residuals over the trailing week. Per-bucket aggregates
  get noisier when volume is low, so residuals are weighted by ``sqrt(expected events)``
  before the MAD and the band widens at night; a floor keeps statistically significant but
  practically tiny changes from alarming on very large tenants.

A robust z above the threshold catches spikes; a one-sided CUSUM on winsorised z catches
level shifts and slow drifts within a few buckets. The CUSUM is capped so it forgets an
incident a few buckets after it ends instead of alarming long after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
from scipy import stats

DAY_S = 86_400
WEEK_S = 7 * DAY_S
PROFILE_DAYS = 21
LEVEL_HOURS = 24
SCALE_DAYS = 7
MIN_PROFILE_VALUES = 3
MAD_TO_SIGMA = 1.4826
Z_CLIP = 4.0

Transform = Literal["log", "identity"]
Direction = Literal["up", "down", "both"]


@dataclass(frozen=True)
class MetricModel:
    """How one KPI behaves: its transform, which direction hurts, and its noise floor."""

    name: str
    transform: Transform
    direction: Direction
    floor: float  # minimum sigma in transformed units: below this a change is not worth an alert
    offset: float = 0.0  # added before the log so zero stays finite
    weighted: bool = True  # noise shrinks like 1/sqrt(volume)
    rate: bool = False  # a share of turns (errors, handoffs): scored on counts


@dataclass(frozen=True)
class Thresholds:
    """Alarm thresholds. Continuous KPIs keep residuals correlated for hours (a busy day),
    so their CUSUM needs a larger slack ``cusum_k`` than rates, whose count-based z-scores
    are independent from bucket to bucket."""

    z: float = 4.0
    cusum_k: float = 2.0
    cusum_h: float = 10.0
    cusum_k_rate: float = 1.0
    drift_z: float = 6.0  # the 6 h mean is autocorrelated and heavier-tailed: a higher bar


@dataclass(frozen=True)
class Baseline:
    """Per-point arrays (same length as the input), in the metric's own units; NaN where
    the history is too short. ``lower``/``upper`` is the band at the z threshold."""

    expected: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    z: np.ndarray
    cusum_up: np.ndarray
    cusum_down: np.ndarray
    drift_z: np.ndarray  # last 6 h against last week's level (zeros for rates)


def transform(model: MetricModel, values: np.ndarray) -> np.ndarray:
    if model.transform == "log":
        logged: np.ndarray = np.log(np.maximum(values, 0.0) + model.offset)  # numpy: Any for an untyped dtype
        return logged
    return values.astype(np.float64)


def inverse(model: MetricModel, values: np.ndarray) -> np.ndarray:
    if model.transform == "log":
        restored: np.ndarray = np.maximum(np.exp(values) - model.offset, 0.0)
        return restored
    return values


def _rolling_median(values: np.ndarray, window: int, min_samples: int, *, center: bool = False) -> np.ndarray:
    series = pl.Series(values).fill_nan(None)
    out = series.rolling_median(window_size=max(window, 1), min_samples=max(min_samples, 1), center=center)
    return out.fill_null(np.nan).to_numpy().astype(np.float64)


def _past(values: np.ndarray) -> np.ndarray:
    """Shift by one bucket so a point's statistic never includes itself."""
    return np.concatenate([[np.nan], values[:-1]])


def seasonal_profile(ts_s: np.ndarray, x: np.ndarray, step_s: int) -> np.ndarray:
    """Expected deviation from the weekly level for each point's (hour, weekday/weekend) slot."""
    week = max(int(WEEK_S // step_s), 1)
    weekly = _rolling_median(x, week, week // 2, center=True)
    shape = x - weekly
    hour = (ts_s % DAY_S) // 3600
    weekend = ((ts_s // DAY_S + 3) % 7) >= 5  # 1970-01-01 was a Thursday
    slot = hour * 2 + weekend.astype(np.int64)
    profile = np.full(x.shape, np.nan)
    half_week = WEEK_S // 2
    for key in np.unique(slot):
        idx = np.flatnonzero(slot == key)
        times, vals = ts_s[idx], shape[idx]
        lo = np.searchsorted(times, times - PROFILE_DAYS * DAY_S, side="left")
        # the centred weekly median of a point is complete only half a week after it
        hi = np.searchsorted(times, times - half_week, side="right")
        for pos in np.flatnonzero(hi - lo >= MIN_PROFILE_VALUES):
            window = vals[lo[pos] : hi[pos]]
            window = window[~np.isnan(window)]
            if window.size >= MIN_PROFILE_VALUES:
                profile[idx[pos]] = float(np.median(window))
    return profile


def cusum(z: np.ndarray, k: float, cap: float) -> tuple[np.ndarray, np.ndarray]:
    """One-sided CUSUMs of winsorised z; NaN counts as 'no evidence' and lets them decay."""
    clipped = np.clip(np.nan_to_num(z, nan=0.0), -Z_CLIP, Z_CLIP)
    up = np.zeros(z.shape)
    down = np.zeros(z.shape)
    s_up = s_down = 0.0
    for i, value in enumerate(clipped):
        s_up = min(max(0.0, s_up + value - k), cap)
        s_down = min(max(0.0, s_down - value - k), cap)
        up[i], down[i] = s_up, s_down
    return up, down


def _lagged(values: np.ndarray, lag: int) -> np.ndarray:
    out = np.full(values.shape, np.nan)
    if lag < values.size:
        out[lag:] = values[: values.size - lag]
    return out


def _noise_scale(residual: np.ndarray, inv_volume: np.ndarray, window: int) -> np.ndarray:
    """phi such that the short-term noise of a bucket is ``phi * sqrt(1/volume)``.

    Estimated from differences of neighbouring residuals: a busy or quiet *day* moves
    neighbours together and cancels out, so phi is the bucket-to-bucket noise only.
    """
    diff = (residual - _lagged(residual, 1)) / np.sqrt(inv_volume + _lagged(inv_volume, 1))
    return MAD_TO_SIGMA * _past(_rolling_median(np.abs(diff), window, window // 7))


def _day_scale(residual: np.ndarray, per_hour: int, window: int) -> np.ndarray:
    """tau: how far the residual wanders for hours at a time (busy or quiet days, holidays).

    Measured as the robust scale of a trailing 6-hour mean of the residual over the past two
    weeks: the kind of sustained deviation that would otherwise feed the CUSUM on normal days.
    """
    smooth = pl.Series(residual).fill_nan(None).rolling_mean(6 * per_hour, min_samples=3 * per_hour)
    sustained = np.abs(smooth.fill_null(np.nan).to_numpy().astype(np.float64))
    return MAD_TO_SIGMA * _past(_rolling_median(sustained, window, window // 7))


def fit_baseline(
    model: MetricModel,
    ts_s: np.ndarray,
    values: np.ndarray,
    step_s: int,
    volume: np.ndarray | None,
    thresholds: Thresholds,
) -> Baseline:
    """Baseline, band, robust z and CUSUM for one continuous KPI series on a regular grid.

    The scale has two parts: bucket noise ``phi / sqrt(volume)`` and the day-to-day level
    noise ``tau`` the 24 h level cannot follow; a busier-than-usual day then stays inside
    the band instead of feeding the CUSUM for hours.
    """
    x = transform(model, values)
    per_hour = max(int(3600 // step_s), 1)
    per_day = 24 * per_hour
    profile = seasonal_profile(ts_s, x, step_s)
    level_window = LEVEL_HOURS * per_hour
    level = _past(_rolling_median(x - profile, level_window, level_window // 3))
    expected = profile + level
    residual = x - expected
    if model.weighted and volume is not None:
        inv_volume = 1.0 / np.maximum(np.nan_to_num(volume, nan=1.0), 1.0)
    else:
        inv_volume = np.ones(x.shape)
    scale_window = SCALE_DAYS * per_day
    phi = _noise_scale(residual, inv_volume, scale_window)
    tau = _day_scale(residual, per_hour, 2 * scale_window)
    sigma = np.maximum(np.sqrt(phi**2 * inv_volume + np.nan_to_num(tau) ** 2), model.floor)
    with np.errstate(invalid="ignore"):
        z = residual / sigma
    up, down = cusum(z, thresholds.cusum_k, cap=1.5 * thresholds.cusum_h)
    lower = inverse(model, expected - thresholds.z * sigma)
    upper = inverse(model, expected + thresholds.z * sigma)
    drift = drift_scores(x - profile, per_hour)
    return Baseline(inverse(model, expected), lower, upper, z, up, down, drift)


def drift_scores(deseasonal: np.ndarray, per_hour: int) -> np.ndarray:
    """The last 6 h against the level of the week before yesterday, in robust units.

    The 24 h level follows a slow ramp, so its residual (and the CUSUM) only sees the ramp's
    slope times the level's lag. A level a day old does not follow: a drift shows in full.
    Scaled by the robust spread of the same statistic over the past two weeks, which already
    holds the busy/quiet-day noise and any trend.
    """
    per_day = 24 * per_hour
    week_level = _lagged(_rolling_median(deseasonal, 7 * per_day, 2 * per_day), per_day)
    recent = pl.Series(deseasonal - week_level).fill_nan(None).rolling_mean(6 * per_hour, min_samples=4 * per_hour)
    recent_np = recent.fill_null(np.nan).to_numpy().astype(np.float64)
    window = 14 * per_day
    spread = MAD_TO_SIGMA * _past(_rolling_median(np.abs(recent_np), window, window // 7))
    with np.errstate(invalid="ignore", divide="ignore"):
        return recent_np / np.maximum(spread, 1e-6)


def binomial_z(k: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """z-score of count ``k`` out of ``n`` at rate ``p`` from the binomial mid-p tail."""
    upper_tail = stats.binom.sf(k, n, p) + 0.5 * stats.binom.pmf(k, n, p)
    lower_tail = stats.binom.cdf(k, n, p) - 0.5 * stats.binom.pmf(k, n, p)
    above = k >= n * p
    with np.errstate(divide="ignore"):
        z = np.where(
            above, stats.norm.isf(np.clip(upper_tail, 1e-300, 1.0)), stats.norm.ppf(np.clip(lower_tail, 1e-300, 1.0))
        )
    bounded: np.ndarray = np.clip(z, -38.0, 38.0)
    return bounded


def fit_rate_baseline(
    model: MetricModel,
    rate: np.ndarray,
    events: np.ndarray,
    step_s: int,
    thresholds: Thresholds,
) -> Baseline:
    """Baseline for a rate (errors or handoffs per turn), modelled on its counts.

    Hourly rates of rare outcomes are mostly zeros, so a median of rates says "0" and a MAD
    says "no noise". Instead the expected rate is the median of the last seven daily rates
    (sums of counts over 24 h blocks, robust to an incident on one or two days), and a
    bucket is scored on its count by the exact binomial tail (mid-p) turned into a z-score:
    calibrated at any volume, where a normal approximation would cry wolf at one error in a
    quiet hour. ``phi`` (>= 1) absorbs extra-binomial noise.
    """
    per_day = 24 * max(int(3600 // step_s), 1)
    n = np.nan_to_num(events, nan=0.0)
    k = np.nan_to_num(rate, nan=0.0) * n
    sums = pl.DataFrame({"k": k, "n": n}).select(
        pl.col("k").rolling_sum(per_day, min_samples=per_day // 2),
        pl.col("n").rolling_sum(per_day, min_samples=per_day // 2),
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        daily = _past((sums["k"] / sums["n"]).fill_nan(None).fill_null(np.nan).to_numpy().astype(np.float64))
    days = np.column_stack([_lagged(daily, j * per_day) for j in range(7)])
    enough = (~np.isnan(days)).sum(axis=1) >= 3
    expected = np.full(rate.shape, np.nan)
    expected[enough] = np.nanmedian(days[enough], axis=1)
    expected = np.maximum(expected, 1e-5)
    has = (n > 0) & ~np.isnan(rate) & ~np.isnan(expected)
    raw_z = np.full(rate.shape, np.nan)
    raw_z[has] = binomial_z(np.round(k[has]), n[has], expected[has])
    window = SCALE_DAYS * per_day
    phi = np.maximum(MAD_TO_SIGMA * _past(_rolling_median(np.abs(raw_z), window, window // 7)), 1.0)
    phi = np.nan_to_num(phi, nan=1.0)
    z = raw_z / phi
    # practically tiny moves (a large tenant's 0.4 % -> 0.45 %) are not alerts
    small = np.abs(np.nan_to_num(rate, nan=0.0) - expected) < model.floor
    z = np.where(small & has, np.clip(z, -1.0, 1.0), z)
    up, down = cusum(z, thresholds.cusum_k_rate, cap=1.5 * thresholds.cusum_h)
    lower = np.full(rate.shape, np.nan)
    upper = np.full(rate.shape, np.nan)
    tail = stats.norm.sf(thresholds.z * phi[has])
    upper[has] = np.maximum(stats.binom.isf(tail, n[has], expected[has]) / n[has], expected[has] + model.floor)
    lower[has] = stats.binom.ppf(tail, n[has], expected[has]) / n[has]
    return Baseline(expected, np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0), z, up, down, np.zeros(z.shape))
