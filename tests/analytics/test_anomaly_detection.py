"""The anomaly detectors on labelled synthetic series: one small case per incident shape."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from analytics.anomaly import DEFAULT_METRICS, Detection, detect_frame
from analytics.anomaly_baseline import binomial_z
from analytics.anomaly_synth import SHAPES, LabelledIncident, synthetic_series

WARMUP_DAYS = 14
GRACE = 6


def _alarm_indices(frame: pl.DataFrame, detection: Detection) -> set[int]:
    first = int(frame["bucket"][0].timestamp())
    return {(int(a.bucket.timestamp()) - first) // 3600 for a in detection.anomalies}


def _episodes(indices: set[int], merge: int = 3) -> int:
    """Alarms at most ``merge`` buckets apart are one page to the operator."""
    ordered = sorted(indices)
    return sum(1 for k, i in enumerate(ordered) if k == 0 or i - ordered[k - 1] > merge)


def _run(shape: str, seed: int) -> tuple[pl.DataFrame, list[LabelledIncident], Detection]:
    frame, incidents = synthetic_series(shape, seed, days=28, warmup_days=WARMUP_DAYS, incidents=2)
    return frame, incidents, detect_frame(frame, DEFAULT_METRICS)


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_is_detected_inside_its_window(shape: str) -> None:
    frame, incidents, detection = _run(shape, seed=11)
    alarms = _alarm_indices(frame, detection)
    for incident in incidents:
        hits = [i for i in alarms if incident.start <= i < incident.end + GRACE]
        assert hits, f"{shape} on {incident.metric} at {incident.start} not detected"
    outside = {
        i for i in alarms if i >= WARMUP_DAYS * 24 and not any(inc.start <= i < inc.end + GRACE for inc in incidents)
    }
    assert _episodes(outside) <= 2, f"{shape}: alarms outside every incident at {sorted(outside)}"


def test_quiet_series_raises_almost_nothing() -> None:
    frame, _ = synthetic_series("spike", seed=5, days=28, warmup_days=WARMUP_DAYS, incidents=0)
    detection = detect_frame(frame, DEFAULT_METRICS)
    assert _episodes(_alarm_indices(frame, detection)) <= 2


def test_anomaly_carries_score_band_and_metric() -> None:
    _, incidents, detection = _run("spike", seed=11)
    inside = [a for a in detection.anomalies if a.metric == incidents[0].metric]
    assert inside
    found = inside[0]
    assert found.score > 0 and found.detector in ("zscore", "cusum", "drift", "iforest")
    assert found.lower <= found.expected <= found.upper
    assert found.direction in ("up", "down")
    assert "change" in found.as_dict()


def test_bands_cover_every_point_and_metric() -> None:
    frame, _, detection = _run("cost_runaway", seed=3)
    bands = detection.bands
    assert bands.height == frame.height * len(DEFAULT_METRICS)
    assert set(bands["metric"].unique()) == set(DEFAULT_METRICS)
    known = bands.filter(pl.col("expected").is_not_null() & (pl.col("metric") == "events"))
    assert known.height > frame.height // 2  # everything after the warm-up has a band
    assert (known["lower"] <= known["upper"]).all()


def test_five_minute_buckets() -> None:
    frame, incidents = synthetic_series("spike", seed=2, days=21, warmup_days=14, incidents=1, step_s=300)
    detection = detect_frame(frame, DEFAULT_METRICS, granularity="5min", use_forest=False)
    first = int(frame["bucket"][0].timestamp())
    alarms = {(int(a.bucket.timestamp()) - first) // 300 for a in detection.anomalies}
    inc = incidents[0]
    assert any(inc.start <= i < inc.end + 72 for i in alarms)


def test_per_agent_frames_are_split() -> None:
    a, _ = synthetic_series("level_shift", seed=4, days=28, incidents=1)
    b, _ = synthetic_series("spike", seed=6, days=28, incidents=0)
    both = pl.concat([a.with_columns(pl.lit("a").alias("agent_id")), b.with_columns(pl.lit("b").alias("agent_id"))])
    detection = detect_frame(both, DEFAULT_METRICS, agent_column="agent_id")
    assert {a.agent_id for a in detection.anomalies} >= {"a"}
    assert set(detection.bands["agent_id"].unique()) == {"a", "b"}


def test_missing_buckets_are_zero_traffic_not_gaps() -> None:
    frame, _ = synthetic_series("spike", seed=8, days=28, incidents=0)
    holed = frame.filter(pl.col("bucket") < dt.datetime(2026, 1, 25, tzinfo=dt.UTC)).vstack(
        frame.filter(pl.col("bucket") >= dt.datetime(2026, 1, 25, 6, tzinfo=dt.UTC))
    )
    detection = detect_frame(holed, ["events"], use_forest=False)
    outage = [a for a in detection.anomalies if a.bucket.date() == dt.date(2026, 1, 25) and a.bucket.hour < 6]
    assert outage and all(a.direction == "down" for a in outage)


def test_unknown_metric_is_refused() -> None:
    frame, _ = synthetic_series("spike", seed=1, days=15, incidents=0)
    with pytest.raises(ValueError, match="unknown metrics"):
        detect_frame(frame, ["nope"])


def test_binomial_z_is_calibrated_and_directional() -> None:
    n = np.array([100.0, 100.0, 1000.0])
    p = np.array([0.01, 0.01, 0.01])
    z = binomial_z(np.array([1.0, 8.0, 0.0]), n, p)
    assert abs(z[0]) < 0.5
    assert z[1] > 3.5
    assert z[2] < -3.0
