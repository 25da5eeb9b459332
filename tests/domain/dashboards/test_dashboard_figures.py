"""The time-series figure draws the expected band only where it is known and keeps the series
readable when one thin bucket has a huge band."""

from __future__ import annotations

import datetime as dt

import polars as pl

from va_app.domain.dashboards import figures

T0 = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)


def _frames(uppers: list[float | None]) -> tuple[pl.DataFrame, pl.DataFrame]:
    buckets = [T0 + dt.timedelta(hours=h) for h in range(len(uppers))]
    series = pl.DataFrame({"bucket": buckets, "error_rate": [0.01] * len(uppers)})
    bands = pl.DataFrame(
        {
            "metric": ["error_rate"] * len(uppers),
            "bucket": buckets,
            "expected": [0.01] * len(uppers),
            "lower": [None if u is None else 0.0 for u in uppers],
            "upper": uppers,
            "anomalous": [False] * len(uppers),
        }
    )
    return series, bands


def test_band_skips_unknown_buckets() -> None:
    series, bands = _frames([0.02, 0.02, None, 0.02])
    fig = figures.timeseries(series, bands, "error_rate", "Error rate")
    upper, lower, line = fig.data[0], fig.data[1], fig.data[2]
    assert len(upper.x) == len(lower.x) == 3 and None not in upper.y
    assert len(line.x) == 4


def test_a_thin_buckets_wide_band_does_not_flatten_the_series() -> None:
    series, bands = _frames([0.02, 0.02, 0.3])
    fig = figures.timeseries(series, bands, "error_rate", "Error rate")
    assert tuple(fig.layout.yaxis.range) == (0, 0.04)  # twice the usual band, not 0.3
    ordinary = figures.timeseries(*_frames([0.02, 0.02, 0.02]), "error_rate", "Error rate")
    assert ordinary.layout.yaxis.range is None


def test_versions_of_several_agents_are_called_pooled() -> None:
    frame = pl.DataFrame(
        {"dimension": [1, 2], "automation_rate": [0.9, 0.8], "handoff_rate": [0.05, 0.1], "error_rate": [0.0, 0.01]}
    )
    assert figures.versions_side_by_side(frame).layout.title.text == "Versions compared"
    assert "pooled" in figures.versions_side_by_side(frame, agents=3).layout.title.text
