"""Status widgets of the Overview page: badges, backend cards, stat cards, the verdict banner.

They take Vars (a backend row, a count) and know nothing about where the values come from.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from va_app.console.states.overview import BackendRow

UP_COLOR = "grass"
DOWN_COLOR = "tomato"

# Icon per known backend name; anything new falls back to a generic server icon.
BACKEND_ICONS = {"postgres": "database", "redis": "zap", "clickhouse": "chart-column", "bus": "radio-tower"}


def up_down_badge(ok: rx.Var[bool] | bool) -> rx.Component:
    """Green "up" or red "down", with an icon so the state reads without colour too."""
    return rx.cond(
        ok,
        rx.badge(rx.icon("circle-check", size=14), "up", color_scheme=UP_COLOR, variant="soft", size="2"),
        rx.badge(rx.icon("circle-x", size=14), "down", color_scheme=DOWN_COLOR, variant="soft", size="2"),
    )


def _field(label: str, value: rx.Component | rx.Var | str) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color=rx.color("gray", 10), weight="medium"),
        value if isinstance(value, rx.Component) else rx.text(value, size="2", weight="medium"),
        spacing="1",
        min_width="0",
    )


def _sparkline(history: rx.Var) -> rx.Component:
    """Probe latency over the session (real samples, one per refresh)."""
    return rx.recharts.area_chart(
        rx.recharts.area(
            data_key="ms",
            stroke=rx.color("accent", 9),
            fill=rx.color("accent", 4),
            type_="monotone",
            is_animation_active=False,
            dot=False,
        ),
        rx.recharts.x_axis(data_key="t", hide=True),
        rx.recharts.y_axis(hide=True, domain=[0, "auto"]),
        rx.recharts.graphing_tooltip(formatter=rx.Var("(v) => [`${v} ms`, 'latency']")),
        data=history,
        width="100%",
        height=48,
        margin={"top": 4, "right": 0, "bottom": 0, "left": 0},
    )


def _backend_icon(name: rx.Var[str]) -> rx.Component:
    def icon(tag: str) -> rx.Component:
        return rx.icon(tag, size=18, color=rx.color("accent", 11))

    return rx.match(name, *[(key, icon(tag)) for key, tag in BACKEND_ICONS.items()], icon("server"))


def backend_card(row: ObjectVar[BackendRow]) -> rx.Component:
    """One backend: name, role, up/down, version, probe latency, embedded or external."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.center(
                    _backend_icon(row["name"].to(str)),
                    width="2.25rem",
                    height="2.25rem",
                    border_radius="var(--radius-3)",
                    background=rx.color("accent", 3),
                ),
                rx.vstack(
                    rx.text(row["name"], size="3", weight="bold", class_name="backend-name"),
                    rx.text(row["kind"], size="1", color=rx.color("gray", 10)),
                    spacing="0",
                ),
                rx.spacer(),
                up_down_badge(row["ok"].to(bool)),
                align="center",
                width="100%",
            ),
            rx.cond(
                row["ok"].to(bool),
                rx.text(row["version"], size="2", color=rx.color("gray", 11), trim="both", truncate=True),
                rx.callout(
                    row["error"].to(str),
                    icon="triangle-alert",
                    color_scheme=DOWN_COLOR,
                    size="1",
                    width="100%",
                ),
            ),
            rx.grid(
                _field("Latency", rx.text(row["latency_ms"].to(str) + " ms", size="2", weight="medium")),
                _field(
                    "Mode",
                    rx.cond(
                        row["embedded"].to(bool),
                        rx.badge("embedded", color_scheme="gray", variant="surface"),
                        rx.badge("external", color_scheme="blue", variant="surface"),
                    ),
                ),
                columns="2",
                width="100%",
                spacing="3",
            ),
            rx.vstack(
                rx.text("Probe latency, last 5 min", size="1", color=rx.color("gray", 10)),
                _sparkline(row["history"]),
                spacing="1",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
        class_name="backend-card",
    )


def stat_card(label: str, value: rx.Var[str] | str, icon: str, hint: str) -> rx.Component:
    """A headline number; the value is a dash when its backend could not answer."""
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.text(label, size="2", color=rx.color("gray", 11), weight="medium"),
                rx.text(value, size="7", weight="bold"),
                rx.text(hint, size="1", color=rx.color("gray", 10)),
                spacing="1",
            ),
            rx.spacer(),
            rx.center(
                rx.icon(icon, size=20, color=rx.color("accent", 11)),
                width="2.5rem",
                height="2.5rem",
                border_radius="full",
                background=rx.color("accent", 3),
            ),
            align="start",
            width="100%",
        ),
        size="2",
        width="100%",
    )


def verdict_banner(
    summary: rx.Var[str] | str,
    ready: rx.Var[bool] | bool,
    loaded: rx.Var[bool] | bool,
    detail: rx.Component,
) -> rx.Component:
    """The overall verdict: green when every backend answered, red otherwise."""
    color = rx.cond(loaded, rx.cond(ready, UP_COLOR, DOWN_COLOR), "gray")
    return rx.card(
        rx.hstack(
            rx.cond(
                loaded,
                rx.cond(
                    ready,
                    rx.icon("shield-check", size=28, color=rx.color(UP_COLOR, 9)),
                    rx.icon("shield-alert", size=28, color=rx.color(DOWN_COLOR, 9)),
                ),
                rx.spinner(size="3"),
            ),
            rx.vstack(
                rx.badge(summary, color_scheme=color, variant="solid", size="3", class_name="overall-status"),
                detail,
                spacing="2",
            ),
            align="center",
            spacing="4",
            width="100%",
        ),
        size="3",
        width="100%",
    )


def refresh_indicator(live: rx.Var[bool] | bool, checked_at: rx.Var[str] | str, seconds: float) -> rx.Component:
    """Last-checked time and whether the page is refreshing by itself."""
    return rx.hstack(
        rx.hstack(
            rx.icon("clock", size=14, color=rx.color("gray", 10)),
            rx.text(
                "Last checked ",
                rx.text.strong(checked_at, class_name="checked-at"),
                size="2",
                color=rx.color("gray", 11),
            ),
            align="center",
            spacing="1",
        ),
        rx.cond(
            live,
            rx.badge(
                rx.icon("refresh-cw", size=12),
                f"Auto-refresh every {seconds:.0f} s",
                color_scheme=UP_COLOR,
                variant="surface",
            ),
            rx.badge(rx.icon("pause", size=12), "Auto-refresh paused", color_scheme="gray", variant="surface"),
        ),
        align="center",
        spacing="3",
        wrap="wrap",
    )
