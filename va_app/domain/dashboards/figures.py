"""Plotly figures of the live dashboard, from the frames of :mod:`va_app.domain.dashboards.live`.

Pure functions (frame in, figure out) so the console state stays thin and tests can call
them. Time-series charts shade the anomaly detector's expected band when one is known and
mark anomalous points in red; every chart is clickable (the console drills down on it).
"""

from __future__ import annotations

from typing import SupportsInt

import plotly.graph_objects as go
import polars as pl

ACCENT = "#3b82f6"
BAND = "rgba(59,130,246,0.15)"
LAYOUT = {
    "height": 260,
    "margin": {"l": 48, "r": 16, "t": 36, "b": 36},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "font": {"size": 11},
    "legend": {"orientation": "h", "y": -0.25},
    "clickmode": "event",
    "hovermode": "closest",
}


def _empty(title: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, **LAYOUT)
    fig.add_annotation(text="No traffic in this range", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    return fig


def _x(frame: pl.DataFrame) -> list[str]:
    return [f"{b:%Y-%m-%d %H:%M}" for b in frame["bucket"].to_list()]


def timeseries(series: pl.DataFrame, bands: pl.DataFrame, metric: str, title: str) -> go.Figure:
    """One KPI over time, with the expected band and anomalies when known."""
    if series.is_empty() or metric not in series.columns:
        return _empty(title)
    frame = series.sort("bucket")
    fig = go.Figure()
    band = bands.filter(pl.col("metric") == metric).sort("bucket") if not bands.is_empty() else bands
    if not band.is_empty():
        # A bucket without a band (too little history, no traffic) would tear the shaded area
        # into a misleading wedge: plot only the points that have one.
        band = band.drop_nulls(["lower", "upper"])
    if not band.is_empty():
        bx = _x(band)
        fig.add_scatter(
            x=bx, y=band["upper"].to_list(), mode="lines", line={"width": 0}, hoverinfo="skip", showlegend=False
        )
        fig.add_scatter(
            x=bx,
            y=band["lower"].to_list(),
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=BAND,
            name="expected range",
            hoverinfo="skip",
        )
    fig.add_scatter(
        x=_x(frame),
        y=frame[metric].to_list(),
        mode="lines+markers",
        name=title,
        line={"color": ACCENT, "width": 2},
        marker={"size": 5},
    )
    if not band.is_empty():
        odd = band.filter(pl.col("anomalous"))
        if not odd.is_empty():
            fig.add_scatter(
                x=_x(odd),
                y=odd["value"].to_list() if "value" in odd.columns else odd["expected"].to_list(),
                mode="markers",
                name="anomaly",
                marker={"color": "#ef4444", "size": 10, "symbol": "x"},
            )
    fig.update_layout(title=title, **LAYOUT)
    _keep_series_in_view(fig, frame[metric], band)
    return fig


def _keep_series_in_view(fig: go.Figure, values: pl.Series, band: pl.DataFrame) -> None:
    """A bucket with a handful of turns has a very wide band (a rate of 1 in 7 is plausible);
    let the band run off the top rather than squash the series into a flat line."""
    shown = [float(v) for v in values.drop_nulls().cast(pl.Float64).to_list()]
    uppers = sorted(float(v) for v in band["upper"].cast(pl.Float64).to_list()) if not band.is_empty() else []
    if not shown or not uppers:
        return
    cap = 2 * max(max(shown), uppers[len(uppers) // 2])
    if cap > 0 and uppers[-1] > cap:
        fig.update_yaxes(range=[0, cap])


def breakdown_bars(frame: pl.DataFrame, metric: str, title: str, label: str = "dimension") -> go.Figure:
    """Totals per value of one dimension (agents, models, channels…), largest first."""
    if frame.is_empty():
        return _empty(title)
    names = [str(v) if v not in (None, "") else "(none)" for v in frame[label].to_list()]
    fig = go.Figure(go.Bar(x=names, y=frame[metric].to_list(), marker_color=ACCENT, name=metric))
    fig.update_layout(title=title, **LAYOUT)
    return fig


def versions_side_by_side(frame: pl.DataFrame, agents: int = 1) -> go.Figure:
    """Each version's rates next to each other (automation, handoff, error).

    Version numbers belong to an agent: with several agents in view, "v2" pools every agent's
    second version, so the title says so and asks for an agent.
    """
    title = "Versions compared" if agents <= 1 else "Versions compared: all agents pooled, pick an agent"
    if frame.is_empty():
        return _empty(title)
    names = [f"v{v}" for v in frame["dimension"].to_list()]
    fig = go.Figure()
    for metric, color in (("automation_rate", "#10b981"), ("handoff_rate", "#f59e0b"), ("error_rate", "#ef4444")):
        fig.add_bar(x=names, y=frame[metric].to_list(), name=metric.replace("_", " "), marker_color=color)
    fig.update_layout(title=title, barmode="group", yaxis_tickformat=".0%", **LAYOUT)
    return fig


def unresolved_intents(frame: pl.DataFrame) -> go.Figure:
    """Intents with the highest share of turns the agent did not answer itself.

    Unresolved is everything but the ``answered`` outcome (handoffs, errors, refusals and
    non-answers alike), the complement of the automation rate (``kpis.py``).
    """
    title = "Unresolved intents (share not answered by the agent)"
    if frame.is_empty():
        return _empty(title)
    worst = (
        frame.with_columns(((pl.col("events") - pl.col("automated")) / pl.col("events")).alias("unresolved"))
        .sort("unresolved", descending=True)
        .head(10)
    )
    fig = go.Figure(
        go.Bar(
            x=[str(v) for v in worst["dimension"].to_list()],
            y=worst["unresolved"].to_list(),
            marker_color="#f59e0b",
            name="unresolved",
        )
    )
    fig.update_layout(title=title, yaxis_tickformat=".0%", **LAYOUT)
    return fig


def _count(totals: dict[str, object], key: str) -> int:
    """A count of the summary row (missing or NULL: 0)."""
    value = totals.get(key) or 0
    if not isinstance(value, SupportsInt | str):
        raise TypeError(f"{key} is not a count: {value!r}")
    return int(value)


def funnel(totals: dict[str, object]) -> go.Figure:
    """Turns -> without error -> contained (no handoff either) -> automated (answered).

    Each stage is part of the one before (``kpis.py``), so the funnel never widens.
    """
    events = _count(totals, "events")
    if events == 0:
        return _empty("Funnel")
    errors = _count(totals, "errors")
    stages = ["turns", "without error", "contained", "automated"]
    values = [events, events - errors, _count(totals, "contained"), _count(totals, "automated")]
    fig = go.Figure(go.Funnel(y=stages, x=values, marker={"color": ACCENT}, textinfo="value+percent initial"))
    fig.update_layout(title="Funnel", **LAYOUT)
    return fig
