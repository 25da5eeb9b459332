"""Overview: is every backend up, how fast does it answer, and how big is the platform."""

from __future__ import annotations

import reflex as rx

from va_app.console import routes
from va_app.console.components.status import (
    backend_card,
    refresh_indicator,
    stat_card,
    verdict_banner,
)
from va_app.console.states.overview import REFRESH_S, OverviewState
from va_app.console.template import template


def _stats() -> rx.Component:
    counts = OverviewState.count_text
    return rx.grid(
        stat_card("Tenants", counts["tenants"], "building-2", "organisations on this platform"),
        stat_card("Agents", counts["agents"], "bot", "across all tenants"),
        stat_card("Events, last hour", counts["events_last_hour"], "activity", "ingested into analytics"),
        columns=rx.breakpoints(initial="1", sm="3"),
        spacing="4",
        width="100%",
    )


def _backends() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Backends", size="4"),
            rx.spacer(),
            rx.button(
                rx.icon("refresh-cw", size=14),
                "Refresh now",
                on_click=OverviewState.refresh_now,
                variant="soft",
                size="2",
            ),
            align="center",
            width="100%",
        ),
        rx.cond(
            OverviewState.loaded,
            rx.grid(
                rx.foreach(OverviewState.backends, backend_card),
                columns=rx.breakpoints(initial="1", md="2", xl="4"),
                spacing="4",
                width="100%",
            ),
            rx.grid(
                *[rx.skeleton(rx.card(height="13rem", width="100%")) for _ in range(4)],
                columns=rx.breakpoints(initial="1", md="2", xl="4"),
                spacing="4",
                width="100%",
            ),
        ),
        spacing="3",
        width="100%",
    )


@template(
    route=routes.OVERVIEW,
    title="Overview",
    description="Backend health and headline figures of the VirtualAgent platform.",
    on_load=OverviewState.start_refresh,
)
def overview() -> rx.Component:
    """Verdict, error (if the status service failed), headline counts, then one card per backend."""
    return rx.vstack(
        verdict_banner(
            OverviewState.summary,
            OverviewState.ready,
            OverviewState.loaded,
            refresh_indicator(OverviewState.live, OverviewState.checked_at_text, REFRESH_S),
        ),
        rx.cond(
            OverviewState.error != "",
            rx.callout(OverviewState.error, icon="circle-alert", color_scheme="tomato", width="100%"),
        ),
        _stats(),
        _backends(),
        spacing="5",
        width="100%",
    )
