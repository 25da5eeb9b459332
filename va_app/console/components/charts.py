"""Charts of the agent pages (recharts, like the Overview's sparklines): traffic split and KPIs.

They take Vars of chart rows and series and know nothing of any state, so a rollout of any
agent or environment draws the same way.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

CHART_HEIGHT = 220
AXIS_TICK = {"fontSize": 11, "fill": "var(--gray-10)"}


def _empty(text: str, height: int) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("chart-no-axes-column", size=22, color=rx.color("gray", 8)),
            rx.text(text, size="2", color=rx.color("gray", 10), text_align="center"),
            align="center",
            spacing="2",
        ),
        height=f"{height}px",
        width="100%",
        border=f"1px dashed {rx.color('gray', 6)}",
        border_radius="var(--radius-3)",
    )


def _split_area(series: ObjectVar) -> rx.Component:
    color = series["color"].to(str)
    return rx.recharts.area(
        data_key=series["key"].to(str),
        name=series["key"].to(str),
        stack_id="split",
        type_="stepAfter",
        stroke=rx.color(color, 9),  # type: ignore[arg-type]
        fill=rx.color(color, 7),  # type: ignore[arg-type]
        fill_opacity=0.55,
        is_animation_active=False,
        dot=False,
    )


def split_chart(data: rx.Var, series: rx.Var, empty_text: str) -> rx.Component:
    """Share of traffic per version (stacked to 100 %) after each deployment transition."""
    return rx.cond(
        data.length() > 0,  # type: ignore[attr-defined]
        rx.recharts.area_chart(
            rx.foreach(series, _split_area),
            rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False, stroke=rx.color("gray", 5)),
            rx.recharts.x_axis(data_key="t", tick=AXIS_TICK, interval="preserveStartEnd"),
            rx.recharts.y_axis(domain=[0, 100], unit="%", tick=AXIS_TICK, width=48),
            rx.recharts.graphing_tooltip(formatter=rx.Var("(v, name) => [`${v}%`, name]")),
            rx.recharts.legend(vertical_align="top", height=28),
            data=data,
            width="100%",
            height=CHART_HEIGHT,
            margin={"top": 8, "right": 16, "bottom": 0, "left": 0},
            class_name="split-chart",
        ),
        _empty(empty_text, CHART_HEIGHT),
    )


def kpi_chart(data: rx.Var, key: str, title: str, unit: str, color: str) -> rx.Component:
    """One KPI as a bar per version (error rate, p95 latency, handoff rate …)."""
    return rx.vstack(
        rx.text(title, size="2", weight="medium"),
        rx.recharts.bar_chart(
            rx.recharts.bar(
                data_key=key,
                name=title,
                fill=rx.color(color, 9),
                radius=[4, 4, 0, 0],
                is_animation_active=False,
                unit=unit,
            ),
            rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False, stroke=rx.color("gray", 5)),
            rx.recharts.x_axis(data_key="version", tick=AXIS_TICK),
            rx.recharts.y_axis(tick=AXIS_TICK, width=48, unit=unit),
            rx.recharts.graphing_tooltip(),
            data=data,
            width="100%",
            height=160,
            margin={"top": 8, "right": 8, "bottom": 0, "left": 0},
        ),
        spacing="1",
        width="100%",
    )
