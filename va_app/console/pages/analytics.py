"""Live dashboards: KPIs, charts over time and per dimension, drill-down, report downloads."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from va_app.console import routes
from va_app.console.components.panels import section_card
from va_app.console.states.analytics import AnalyticsState, Kpi
from va_app.console.states.reports import ReportDownloadState
from va_app.console.template import template
from va_app.domain.dashboards.kpis import CHART_BY_NAME

CHART_CONFIG = {"displaylogo": False, "responsive": True}


def _kpi(row: ObjectVar[Kpi]) -> rx.Component:
    """A tile; hovering it shows its definition (``domain/dashboards/kpis.py``)."""
    return rx.tooltip(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text(row["label"], size="1", color=rx.color("gray", 11)),
                    rx.icon("info", size=12, color=rx.color("gray", 9)),
                    spacing="1",
                    align="center",
                ),
                rx.heading(row["value"], size="5", class_name="kpi-value"),
                spacing="1",
            ),
            size="1",
            width="100%",
            class_name="kpi-card",
        ),
        content=row["definition"],
    )


def _select(name: str, placeholder: str, items: Any) -> rx.Component:
    return rx.vstack(
        rx.text(placeholder, size="1", color=rx.color("gray", 11)),
        rx.select(
            items,
            value=rx.cond(getattr(AnalyticsState, name) == "", "all", getattr(AnalyticsState, name)),
            on_change=lambda v: AnalyticsState.set_filter(name, v),
            size="2",
            name=name,
        ),
        spacing="1",
    )


def _controls() -> rx.Component:
    return rx.flex(
        _select("range_preset", "Range", ["1h", "24h", "7d", "30d", "custom"]),
        rx.cond(
            AnalyticsState.range_preset == "custom",
            rx.hstack(
                rx.input(
                    type="datetime-local",
                    value=AnalyticsState.custom_start,
                    on_change=lambda v: AnalyticsState.set_filter("custom_start", v),
                ),
                rx.input(
                    type="datetime-local",
                    value=AnalyticsState.custom_end,
                    on_change=lambda v: AnalyticsState.set_filter("custom_end", v),
                ),
                align="end",
            ),
        ),
        _select("granularity", "Granularity", ["auto", "minute", "5min", "hour", "day", "week"]),
        _select("agent", "Agent", AnalyticsState.options["agent"]),
        _select("version", "Version", AnalyticsState.options["version"]),
        _select("channel", "Channel", AnalyticsState.options["channel"]),
        _select("model", "Model", AnalyticsState.options["model"]),
        rx.cond(
            AnalyticsState.permissions.contains("platform:admin"),
            rx.vstack(
                rx.text("Tenant", size="1", color=rx.color("gray", 11)),
                rx.select(
                    AnalyticsState.tenant_options,
                    value=rx.cond(AnalyticsState.tenant == "", "own tenant", AnalyticsState.tenant),
                    on_change=lambda v: AnalyticsState.set_filter("tenant", v),
                    size="2",
                    name="tenant",
                ),
                spacing="1",
            ),
        ),
        rx.spacer(),
        rx.text("Updated ", AnalyticsState.updated_at, size="1", color=rx.color("gray", 10)),
        spacing="3",
        wrap="wrap",
        align="end",
        width="100%",
    )


def _chart(figure: Any, on_click: Any, name: str) -> rx.Component:
    """A chart card; its info icon shows the chart's definition (``domain/dashboards/kpis.py``)."""
    return rx.card(
        rx.hstack(
            rx.spacer(),
            rx.tooltip(
                rx.icon("info", size=14, color=rx.color("gray", 9), class_name="chart-info"),
                content=CHART_BY_NAME[name].definition,
            ),
            width="100%",
        ),
        rx.plotly(
            data=figure,
            config=CHART_CONFIG,
            use_resize_handler=True,
            width="100%",
            height="260px",
            **({"on_click": on_click} if on_click is not None else {}),
        ),
        class_name=f"chart chart-{name}",
        width="100%",
    )


def _dim(dimension: str) -> Any:
    return lambda points: AnalyticsState.drill_dimension(points, dimension)


def _downloads() -> rx.Component:
    return rx.hstack(
        *[
            rx.button(
                rx.icon("download", size=14),
                label,
                on_click=ReportDownloadState.download(fmt),
                variant="soft",
                size="2",
                class_name=f"download-{fmt}",
            )
            for fmt, label in (
                ("csv", "CSV"),
                ("xlsx", "XLSX"),
                ("parquet", "Parquet"),
                ("json", "JSON"),
                ("pdf", "PDF"),
                ("html", "HTML"),
            )
        ],
        wrap="wrap",
        spacing="2",
    )


@template(
    route=routes.ANALYTICS,
    title="Analytics",
    description="Live conversation dashboards",
    on_load=[AnalyticsState.load_params, AnalyticsState.start_refresh],
)
def analytics_page() -> rx.Component:
    """KPIs and charts of the tenant's conversations; click a point to open its conversations."""
    return rx.vstack(
        _controls(),
        rx.cond(
            AnalyticsState.error != "", rx.callout(AnalyticsState.error, icon="triangle-alert", color_scheme="red")
        ),
        rx.grid(
            rx.foreach(AnalyticsState.kpis, _kpi),
            columns=rx.breakpoints(initial="2", md="4", lg="6"),
            spacing="3",
            width="100%",
        ),
        rx.text(AnalyticsState.window_text, size="1", color=rx.color("gray", 10), class_name="kpi-window"),
        rx.grid(
            _chart(AnalyticsState.volume_fig, AnalyticsState.drill_time, "volume"),
            _chart(AnalyticsState.error_fig, AnalyticsState.drill_time, "errors"),
            _chart(AnalyticsState.latency_fig, AnalyticsState.drill_time, "latency"),
            _chart(AnalyticsState.cost_fig, AnalyticsState.drill_time, "cost"),
            _chart(AnalyticsState.agent_fig, _dim("agent"), "agents"),
            _chart(AnalyticsState.version_fig, _dim("version"), "versions"),
            _chart(AnalyticsState.model_fig, _dim("model"), "models"),
            _chart(AnalyticsState.channel_fig, _dim("channel"), "channels"),
            _chart(AnalyticsState.intent_fig, _dim("intent"), "intents"),
            _chart(AnalyticsState.unresolved_fig, _dim("intent"), "unresolved"),
            _chart(AnalyticsState.funnel_fig, None, "funnel"),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="4",
            width="100%",
        ),
        section_card(
            "Export",
            "The range and filters above as a file (PDF/HTML include charts and a summary).",
            "file-down",
            _downloads(),
        ),
        spacing="4",
        width="100%",
    )
