"""Anomaly detection on per-agent KPI series: what changed, when, how far outside normal.

Two detectors run on the same series (hourly or 5-minute buckets):

* per metric, a seasonal robust baseline with robust z-scores and CUSUM
  (:mod:`analytics.anomaly_baseline`): spikes, level shifts, slow drifts, broken cycles;
* across metrics, an IsolationForest over the standardised residuals
  (:mod:`analytics.anomaly_forest`): moderate moves of several metrics at once.

Every anomaly names its metric, its score and the expected band at that point, and
:func:`detect_frame` also returns the band of *every* point so a chart can shade it.
:func:`detect_frame` is pure (tests and ``benchmarks/anomaly_eval.py`` call it);
:func:`detect` reads the series from ClickHouse first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

from analytics.anomaly_baseline import Baseline, MetricModel, Thresholds, fit_baseline, fit_rate_baseline
from analytics.anomaly_forest import ForestSettings, forest_flags
from analytics.queries import metrics as mq

METRICS: dict[str, MetricModel] = {
    "events": MetricModel("events", "log", "both", floor=0.03, offset=1.0),
    "error_rate": MetricModel("error_rate", "identity", "up", floor=0.002, rate=True),
    "latency_p95": MetricModel("latency_p95", "log", "up", floor=0.03, offset=1.0),
    "cost_usd": MetricModel("cost_usd", "log", "up", floor=0.03, offset=1e-4),
    "handoff_rate": MetricModel("handoff_rate", "identity", "up", floor=0.01, rate=True),
}
DEFAULT_METRICS: tuple[str, ...] = tuple(METRICS)
Sensitivity = Literal["low", "medium", "high"]
SENSITIVITY: dict[str, Thresholds] = {
    "low": Thresholds(z=5.0, cusum_k=2.5, cusum_h=14.0, cusum_k_rate=1.5, drift_z=7.0),
    "medium": Thresholds(z=4.0, cusum_k=2.0, cusum_h=10.0, cusum_k_rate=1.0, drift_z=6.0),
    "high": Thresholds(z=3.5, cusum_k=1.5, cusum_h=8.0, cusum_k_rate=0.75, drift_z=5.0),
}
STEP_S = {"5min": 300, "hour": 3600}
# cost follows volume: together they are one piece of evidence for the forest, not two
SUPPORT_GROUP = {"cost_usd": "events"}
Detector = Literal["zscore", "cusum", "drift", "iforest"]


@dataclass(frozen=True)
class Anomaly:
    """One anomalous bucket of one metric of one agent.

    ``score`` is the statistic of the detector that fired: |robust z| for ``zscore``, the
    CUSUM sum for ``cusum``, the robust z of the last 6 h against last week's level for
    ``drift``, the isolation score (0.5 ordinary .. 1) for ``iforest``.
    """

    agent_id: str
    metric: str
    bucket: dt.datetime
    value: float
    expected: float
    lower: float
    upper: float
    z: float
    score: float
    detector: Detector
    direction: Literal["up", "down"]

    @property
    def change(self) -> float:
        """Relative change against the expected value (0.25 = 25 % above)."""
        return (self.value - self.expected) / self.expected if self.expected else float("inf")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "change": self.change}


@dataclass(frozen=True)
class Detection:
    """Anomalies, plus the band of every point (columns: agent_id, metric, bucket, value,
    expected, lower, upper, z, cusum_up, cusum_down, anomalous)."""

    anomalies: list[Anomaly]
    bands: pl.DataFrame


def _epoch_seconds(column: pl.Series) -> np.ndarray:
    if column.dtype.is_integer():
        return column.to_numpy().astype(np.int64)  # chDB returns DateTime as integer seconds
    return (column.cast(pl.Datetime("us", "UTC")).dt.epoch("s")).to_numpy().astype(np.int64)


def regular_grid(
    frame: pl.DataFrame, step_s: int, start_s: int | None = None, end_s: int | None = None
) -> pl.DataFrame:
    """One row per bucket: a bucket without traffic has zero events and cost, unknown rates."""
    ts = _epoch_seconds(frame["bucket"]) if not frame.is_empty() else np.empty(0, dtype=np.int64)
    first = start_s if start_s is not None else (int(ts.min()) if ts.size else 0)
    last = end_s if end_s is not None else (int(ts.max()) if ts.size else 0)
    first -= first % step_s
    grid = pl.DataFrame({"ts": np.arange(first, last + 1, step_s, dtype=np.int64)})
    data = frame.with_columns(pl.Series("ts", ts)).drop("bucket")
    joined = grid.join(data, on="ts", how="left")
    zero = [c for c in ("events", "errors", "handoffs", "cost_usd") if c in joined.columns]
    return joined.with_columns(pl.col(zero).fill_null(0)).sort("ts")


def _directional(model: MetricModel, z: np.ndarray) -> np.ndarray:
    """Harm is positive: up-metrics keep z, down-metrics flip it, two-sided take |z|."""
    if model.direction == "up":
        return z
    if model.direction == "down":
        return -z
    magnitude: np.ndarray = np.abs(z)
    return magnitude


def _anomaly(
    agent_id: str,
    metric: str,
    bucket: dt.datetime,
    values: np.ndarray,
    fit: Baseline,
    i: int,
    detector: Detector,
    score: float,
) -> Anomaly:
    return Anomaly(
        agent_id=agent_id,
        metric=metric,
        bucket=bucket,
        value=float(values[i]),
        expected=float(fit.expected[i]),
        lower=float(fit.lower[i]),
        upper=float(fit.upper[i]),
        z=float(fit.z[i]),
        score=float(score),
        detector=detector,
        direction="up" if fit.z[i] >= 0 else "down",
    )


def _agent_detection(
    grid: pl.DataFrame,
    agent_id: str,
    metric_names: Sequence[str],
    step_s: int,
    thresholds: Thresholds,
    forest: ForestSettings | None,
) -> Detection:
    ts = grid["ts"].to_numpy()
    stamps = [dt.datetime.fromtimestamp(int(t), dt.UTC) for t in ts]
    counts = grid["events"].cast(pl.Float64).to_numpy() if "events" in grid.columns else None
    expected_volume = None
    if counts is not None:
        events_fit = fit_baseline(METRICS["events"], ts, counts, step_s, None, thresholds)
        expected_volume = np.where(np.isnan(events_fit.expected), counts, events_fit.expected)
    fits: dict[str, Baseline] = {}
    values: dict[str, np.ndarray] = {}
    for name in metric_names:
        model = METRICS[name]
        raw = grid[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        if model.rate and counts is not None:
            fits[name] = fit_rate_baseline(model, raw, counts, step_s, thresholds)
        else:
            volume = expected_volume if name == "events" else counts
            fits[name] = fit_baseline(model, ts, raw, step_s, volume, thresholds)
        values[name] = raw
    anomalies: list[Anomaly] = []
    flagged: set[tuple[str, int]] = set()
    band_frames = []
    harm = {}
    for name in metric_names:
        model, fit, raw = METRICS[name], fits[name], values[name]
        harm[name] = _directional(model, fit.z)
        z_alarm = np.nan_to_num(harm[name], nan=0.0) >= thresholds.z
        up_ok, down_ok = model.direction in ("up", "both"), model.direction in ("down", "both")
        cusum_alarm = (up_ok & (fit.cusum_up >= thresholds.cusum_h)) | (
            down_ok & (fit.cusum_down >= thresholds.cusum_h)
        )
        drift_alarm = np.nan_to_num(_directional(model, fit.drift_z), nan=0.0) >= thresholds.drift_z
        alarm = (z_alarm | cusum_alarm | drift_alarm) & ~np.isnan(raw) & ~np.isnan(fit.expected)
        for i in np.flatnonzero(alarm):
            cusum_value = max(fit.cusum_up[i] if up_ok else 0.0, fit.cusum_down[i] if down_ok else 0.0)
            detector: Detector
            if z_alarm[i]:
                detector, score = "zscore", abs(fit.z[i])
            elif cusum_alarm[i]:
                detector, score = "cusum", cusum_value
            else:
                detector, score = "drift", abs(fit.drift_z[i])
            anomalies.append(_anomaly(agent_id, name, stamps[i], raw, fit, int(i), detector, score))
            flagged.add((name, int(i)))
        band_frames.append(
            pl.DataFrame(
                {
                    "agent_id": [agent_id] * len(ts),
                    "metric": [name] * len(ts),
                    "bucket": stamps,
                    "value": raw,
                    "expected": fit.expected,
                    "lower": fit.lower,
                    "upper": fit.upper,
                    "z": fit.z,
                    "cusum_up": fit.cusum_up,
                    "cusum_down": fit.cusum_down,
                    "anomalous": alarm,
                },
                schema_overrides={"bucket": pl.Datetime("us", "UTC")},
            ).with_columns(pl.col("value", "expected", "lower", "upper", "z").fill_nan(None))
        )
    if forest is not None and len(metric_names) >= 2:
        features = np.column_stack([harm[n] for n in metric_names])
        groups = [SUPPORT_GROUP.get(n, n) for n in metric_names]
        flags, scores = forest_flags(features, forest, groups)
        for i in np.flatnonzero(flags):
            name = metric_names[int(np.nanargmax(features[i]))]
            if (name, int(i)) in flagged or np.isnan(values[name][i]):
                continue
            anomalies.append(
                _anomaly(agent_id, name, stamps[i], values[name], fits[name], int(i), "iforest", scores[i])
            )
    anomalies.sort(key=lambda a: (a.bucket, a.metric))
    bands = pl.concat(band_frames) if band_frames else pl.DataFrame()
    return Detection(anomalies=anomalies, bands=bands)


def detect_frame(
    frame: pl.DataFrame,
    metric_names: Sequence[str] = DEFAULT_METRICS,
    *,
    granularity: Literal["hour", "5min"] = "hour",
    sensitivity: Sensitivity = "medium",
    use_forest: bool = True,
    agent_column: str | None = None,
    agent_id: str = "",
    since: dt.datetime | None = None,
) -> Detection:
    """Run both detectors on a KPI frame (``bucket`` + metric columns, ``events`` if known).

    ``agent_column`` splits the frame into one series per agent. Anomalies before ``since``
    are dropped (the history still feeds the baseline).
    """
    unknown = [m for m in metric_names if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metrics {unknown}; known: {list(METRICS)}")
    missing = [m for m in metric_names if m not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks columns {missing}")
    step_s = STEP_S[granularity]
    thresholds = SENSITIVITY[sensitivity]
    forest = ForestSettings() if use_forest else None
    groups = frame.partition_by(agent_column, as_dict=True) if agent_column else {(agent_id,): frame}
    anomalies: list[Anomaly] = []
    bands = []
    for key, part in groups.items():
        name = str(key[0])
        if part.is_empty():
            continue
        detection = _agent_detection(
            regular_grid(part.drop(agent_column) if agent_column else part, step_s),
            name,
            list(metric_names),
            step_s,
            thresholds,
            forest,
        )
        anomalies.extend(detection.anomalies)
        bands.append(detection.bands)
    if since is not None:
        anomalies = [a for a in anomalies if a.bucket >= since]
    return Detection(anomalies=anomalies, bands=pl.concat(bands) if bands else pl.DataFrame())


def detect_detailed(
    tenant_id: str,
    agent_id: str | None,
    end: dt.datetime,
    lookback_days: int = 28,
    *,
    granularity: Literal["hour", "5min"] = "hour",
    metric_names: Sequence[str] = DEFAULT_METRICS,
    sensitivity: Sensitivity = "medium",
    report_hours: float | None = None,
) -> Detection:
    """Query the KPI series of one agent (or every agent) and run the detectors.

    ``report_hours`` keeps only anomalies of the last hours (alerting wants what is
    happening now; the rest of the lookback is there to learn the baseline).
    """
    start = end - dt.timedelta(days=lookback_days)
    query = mq.MetricQuery(
        str(tenant_id),
        start,
        end,
        granularity,
        dimension=None if agent_id else "agent",
        filters={"agent": agent_id} if agent_id else {},
    )
    frame = mq.metrics(query, kind="anomaly_series")
    if frame.is_empty():
        return Detection(anomalies=[], bands=pl.DataFrame())
    columns = ["bucket", "events", *[m for m in metric_names if m != "events"]]
    if agent_id is None:
        frame = frame.rename({"dimension": "agent_id"})
        columns.append("agent_id")
    since = end - dt.timedelta(hours=report_hours) if report_hours is not None else None
    return detect_frame(
        frame.select(columns),
        metric_names,
        granularity=granularity,
        sensitivity=sensitivity,
        agent_column="agent_id" if agent_id is None else None,
        agent_id=agent_id or "",
        since=since,
    )


def detect(
    tenant_id: str,
    agent_id: str | None,
    end: dt.datetime,
    lookback_days: int = 28,
    **options: Any,
) -> list[Anomaly]:
    """Anomalies of one agent (or all agents of the tenant) over the lookback window."""
    return detect_detailed(tenant_id, agent_id, end, lookback_days, **options).anomalies
