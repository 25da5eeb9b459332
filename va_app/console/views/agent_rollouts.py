"""The deployments tab of an agent: environment cards, rollout timeline, KPIs, history, deploy dialog."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from va_app.console.components.agents import stat
from va_app.console.components.charts import kpi_chart, split_chart
from va_app.console.components.panels import confirm_dialog, data_table, section_card
from va_app.console.states.agent_detail import AgentDetailState, EnvCard, HistoryRow
from va_app.console.states.agent_timeline import AgentTimelineState

ENV_ICONS = {"development": "flask-conical", "staging": "git-branch", "production": "globe"}


def _disabled_with_reason(button: rx.Component, reason: rx.Var[str]) -> rx.Component:
    """A button whose tooltip says why it is (or is not) available."""
    return rx.tooltip(rx.box(button, display="inline-block"), content=reason)


def _env_card(card: ObjectVar[EnvCard]) -> rx.Component:
    env = card["environment"].to(str)
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.match(
                    env,
                    *[(name, rx.icon(icon, size=18, color=rx.color("accent", 11))) for name, icon in ENV_ICONS.items()],
                    rx.icon("server", size=18),
                ),
                rx.text(env, size="3", weight="bold", text_transform="capitalize"),
                rx.spacer(),
                rx.cond(
                    card["rolling"].to(bool),
                    rx.badge(rx.icon("loader", size=12), "rolling out", color_scheme="amber", variant="soft"),
                    rx.cond(
                        card["deployed"].to(bool),
                        rx.badge("serving", color_scheme="grass", variant="soft"),
                        rx.badge("not deployed", color_scheme="gray", variant="outline"),
                    ),
                ),
                align="center",
                width="100%",
            ),
            rx.hstack(
                rx.text(card["stable"].to(str), size="7", weight="bold", class_name="env-stable"),
                rx.cond(
                    card["rolling"].to(bool),
                    rx.hstack(
                        rx.icon("arrow-right", size=16, color=rx.color("gray", 10)),
                        rx.text(card["candidate"].to(str), size="5", weight="bold", color=rx.color("amber", 11)),
                        align="center",
                        spacing="1",
                    ),
                ),
                align="center",
                spacing="2",
            ),
            rx.cond(
                card["rolling"].to(bool),
                rx.vstack(
                    rx.progress(value=card["percent"].to(int), max=100, color_scheme="amber", size="2"),
                    rx.text(
                        card["candidate"].to(str) + " gets " + card["percent"].to_string() + "% (",
                        card["strategy"].to(str),
                        ")",
                        size="1",
                        color=rx.color("gray", 11),
                        class_name="env-rollout",
                    ),
                    spacing="1",
                    width="100%",
                ),
            ),
            rx.grid(
                stat("Since (UTC)", rx.cond(card["since"].to(str) != "", card["since"].to(str), "—")),
                stat("Why", rx.cond(card["reason"].to(str) != "", card["reason"].to(str), "—")),
                columns="2",
                spacing="3",
                width="100%",
            ),
            rx.hstack(
                rx.cond(
                    card["next_environment"].to(str) != "",
                    _disabled_with_reason(
                        rx.button(
                            rx.icon("arrow-up-right", size=14),
                            "Promote to " + card["next_environment"].to(str),
                            size="2",
                            variant="soft",
                            disabled=~card["promote_ok"].to(bool),
                            on_click=AgentDetailState.promote(env),  # type: ignore[operator]
                            class_name="promote-button",
                        ),
                        card["promote_hint"].to(str),
                    ),
                ),
                _disabled_with_reason(
                    rx.button(
                        rx.icon("undo-2", size=14),
                        "Roll back",
                        size="2",
                        variant="soft",
                        color_scheme="tomato",
                        disabled=~card["rollback_ok"].to(bool),
                        on_click=AgentDetailState.ask_rollback(env),  # type: ignore[operator]
                        class_name="rollback-button",
                    ),
                    card["rollback_hint"].to(str),
                ),
                spacing="2",
                wrap="wrap",
            ),
            rx.cond(
                ~card["promote_ok"].to(bool) & (card["next_environment"].to(str) != ""),
                rx.text(card["promote_hint"].to(str), size="1", color=rx.color("gray", 10), class_name="promote-hint"),
            ),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
        class_name="env-card env-" + env,
    )


def _history_row(row: ObjectVar[HistoryRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["when"].to(str), size="2", white_space="nowrap")),
        rx.table.cell(rx.badge(row["environment"].to(str), variant="surface", color_scheme="gray")),
        rx.table.cell(
            rx.hstack(
                rx.text(row["label"].to(str), size="2", weight="medium", class_name="history-kind"),
                rx.cond(row["automatic"].to(bool), rx.badge("automatic", color_scheme="blue", variant="soft")),
                spacing="2",
                align="center",
            )
        ),
        rx.table.cell(rx.code(row["versions"].to(str), variant="ghost")),
        rx.table.cell(rx.text(row["percent"].to(str), size="2")),
        rx.table.cell(rx.text(row["reason"].to(str), size="2", color=rx.color("gray", 11))),
        rx.table.cell(rx.text(row["actor"].to(str), size="2")),
        class_name="history-row",
        align="center",
    )


def _history(rows: rx.Var) -> rx.Component:
    headers = ("When (UTC)", "Environment", "Event", "Versions", "Share", "Why", "Who")
    return data_table(headers, rows, _history_row, "Nothing deployed here yet.", variant="ghost", size="1")


def _kpis() -> rx.Component:
    t = AgentTimelineState
    return rx.cond(
        t.kpi_error != "",
        rx.callout(t.kpi_error, icon="circle-alert", color_scheme="amber", width="100%"),
        rx.cond(
            t.kpis.length() > 0,
            rx.grid(
                kpi_chart(t.kpis, "error_rate", "Error rate", "%", "tomato"),
                kpi_chart(t.kpis, "latency_p95", "p95 latency", " ms", "indigo"),
                kpi_chart(t.kpis, "handoff_rate", "Handoff rate", "%", "amber"),
                columns=rx.breakpoints(initial="1", md="3"),
                spacing="4",
                width="100%",
                class_name="kpi-charts",
            ),
            rx.callout(
                "No conversations in this environment in the last 24 hours yet: "
                "KPIs per version appear with the first traffic.",
                icon="info",
                color_scheme="gray",
                width="100%",
            ),
        ),
    )


def timeline_card() -> rx.Component:
    """Traffic split per version over time in one environment, its transitions and the KPIs per version."""
    t = AgentTimelineState
    return section_card(
        "Rollout timeline",
        "Share of traffic per version after each transition, and how each version did in the last 24 h "
        "in the chosen environment (turns served elsewhere do not count).",
        "chart-area",
        rx.hstack(
            rx.segmented_control.root(
                *[rx.segmented_control.item(env.capitalize(), value=env) for env in ENV_ICONS],
                value=t.timeline_env,
                on_change=t.set_timeline_env,
                size="1",
            ),
            rx.spacer(),
            rx.button(
                rx.icon("refresh-cw", size=14),
                "Refresh KPIs",
                size="1",
                variant="soft",
                loading=t.kpi_loading,
                on_click=t.load_kpis,
            ),
            width="100%",
            align="center",
        ),
        split_chart(t.timeline, t.series, "No deployments in this environment yet."),
        _history(t.timeline_events),
        rx.heading("KPIs per version, last 24 h", size="3"),
        rx.text(t.kpi_scope, size="2", color=rx.color("gray", 11), class_name="kpi-scope"),
        _kpis(),
        class_name="rollout-timeline",
    )


def rollback_confirm() -> rx.Component:
    s = AgentDetailState
    return confirm_dialog(
        s.rollback_open,
        "Roll back " + s.rollback_env + "?",
        rx.text(s.rollback_text),
        "Roll back",
        s.confirm_rollback,
        s.cancel_rollback,
    )


def deployments_tab() -> rx.Component:
    """Environment cards, then the timeline with KPIs and the history."""
    return rx.vstack(
        rx.grid(
            rx.foreach(AgentDetailState.environments, _env_card),
            columns=rx.breakpoints(initial="1", md="3"),
            spacing="4",
            width="100%",
        ),
        timeline_card(),
        spacing="4",
        width="100%",
    )
