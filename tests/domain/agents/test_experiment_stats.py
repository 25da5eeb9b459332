"""Significance tests without scipy, checked against textbook values, and the verdict."""

from __future__ import annotations

import polars as pl
import pytest

from va_app.domain.agents import stats
from va_app.domain.agents.experiments import analyse


def test_two_proportion_z_matches_reference() -> None:
    # 200/1000 vs 250/1000: pooled 0.225, se 0.018675 -> z = 2.6774, p = 0.00742
    result = stats.two_proportion_z(200, 1000, 250, 1000)
    assert result.statistic == pytest.approx(2.6774, abs=1e-3)
    assert result.p_value == pytest.approx(0.00742, abs=1e-4)


def test_welch_t_matches_reference() -> None:
    # means 10 vs 11, var 4 vs 9, n 30 vs 40: t = 1.6705, df = 67.19, p = 0.0995
    # (p checked against numerical integration of the t density)
    result = stats.welch_t(10, 4, 30, 11, 9, 40)
    assert result.statistic == pytest.approx(1.6705, abs=1e-3)
    assert result.p_value == pytest.approx(0.0995, abs=5e-4)


def test_t_distribution_tail() -> None:
    assert stats.student_t_two_sided_p(2.228, 10) == pytest.approx(0.05, abs=1e-3)
    assert stats.student_t_two_sided_p(0.0, 5) == pytest.approx(1.0)


def test_degenerate_inputs_are_not_significant() -> None:
    assert stats.two_proportion_z(0, 0, 5, 10).p_value == 1.0
    assert stats.welch_t(1, 0, 1, 2, 0, 1).p_value == 1.0


def _frame(rows: list[dict]) -> pl.DataFrame:
    base = {
        "latency_mean": 500.0,
        "latency_var": 100.0,
        "latency_p95": 900.0,
        "csat_count": 0,
        "csat_mean": None,
        "csat_var": None,
        "conversations": 0,
        "cost_usd": 0.0,
        "errors": 0,
        "handoffs": 0,
    }
    full = []
    for r in rows:
        row = {**base, **r}
        row["automation_rate"] = row["contained"] / row["events"]
        row["error_rate"] = row["errors"] / row["events"]
        row["handoff_rate"] = row["handoffs"] / row["events"]
        full.append(row)
    return pl.DataFrame(full)


def test_verdict_names_a_significant_winner() -> None:
    frame = _frame(
        [{"version": 1, "events": 5000, "contained": 3500}, {"version": 2, "events": 5000, "contained": 3800}]
    )
    _, comparisons, verdict, winner = analyse(
        "automation_rate", [{"version": 1, "percent": 50}, {"version": 2, "percent": 50}], frame
    )
    assert winner == 2 and comparisons[0]["significant"]
    assert verdict.startswith("v2 wins on automation rate") and "Promote v2" in verdict


def test_verdict_without_difference_or_data() -> None:
    variants = [{"version": 1, "percent": 50}, {"version": 2, "percent": 50}]
    same = _frame(
        [{"version": 1, "events": 5000, "contained": 3500}, {"version": 2, "events": 5000, "contained": 3510}]
    )
    assert analyse("automation_rate", variants, same)[3] is None
    assert "No significant difference" in analyse("automation_rate", variants, same)[2]
    little = _frame([{"version": 1, "events": 50, "contained": 35}, {"version": 2, "events": 40, "contained": 39}])
    assert analyse("automation_rate", variants, little)[2].startswith("Not enough data yet")
