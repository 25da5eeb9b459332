"""Alerts: open and past incidents with their state and severity, and the rules that raise them."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from va_app.console import routes
from va_app.console.components.panels import data_table, section_card
from va_app.console.states.alerts import METRIC_CHOICES, AlertRow, AlertsState, RuleRow
from va_app.console.template import template

SEVERITY_COLORS = {"critical": "red", "warning": "amber", "info": "blue"}
STATE_COLORS = {"firing": "red", "acknowledged": "amber", "resolved": "green"}


def _badge(value: rx.Var, colors: dict[str, str]) -> rx.Component:
    return rx.match(
        value,
        *[(k, rx.badge(k, color_scheme=c, variant="soft")) for k, c in colors.items()],
        rx.badge(value, variant="soft"),
    )


def _alert(row: ObjectVar[AlertRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["started"], size="2", white_space="nowrap")),
        rx.table.cell(_badge(row["severity"], SEVERITY_COLORS)),
        rx.table.cell(_badge(row["state"], STATE_COLORS), class_name="alert-state"),
        rx.table.cell(
            rx.vstack(
                rx.text(row["title"], size="2", weight="medium"),
                rx.text(row["summary"], size="1", color=rx.color("gray", 11)),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(row["agent"], size="2")),
        rx.table.cell(
            rx.hstack(
                rx.link(
                    rx.button(rx.icon("chart-line", size=14), "Chart", variant="ghost", size="1"), href=row["link"]
                ),
                rx.cond(
                    row["state"] == "firing",
                    rx.button("Acknowledge", size="1", variant="soft", on_click=AlertsState.act(row["id"], "ack")),
                ),
                rx.cond(
                    row["state"] != "resolved",
                    rx.button(
                        "Resolve",
                        size="1",
                        variant="soft",
                        color_scheme="green",
                        on_click=AlertsState.act(row["id"], "resolve"),
                    ),
                ),
                spacing="2",
            )
        ),
    )


def _rule(row: ObjectVar[RuleRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["name"], size="2")),
        rx.table.cell(rx.badge(row["kind"], variant="outline")),
        rx.table.cell(_badge(row["severity"], SEVERITY_COLORS)),
        rx.table.cell(rx.text(row["agent"], size="2")),
        rx.table.cell(rx.cond(row["is_default"], rx.badge("default", color_scheme="gray"), rx.fragment())),
        rx.table.cell(
            rx.button(
                rx.icon("trash-2", size=14),
                size="1",
                variant="ghost",
                color_scheme="tomato",
                on_click=AlertsState.delete_rule(row["id"]),
            )
        ),
    )


def _new_rule() -> rx.Component:
    return rx.hstack(
        rx.select(
            METRIC_CHOICES, value=AlertsState.form_metric, on_change=lambda v: AlertsState.set_form("form_metric", v)
        ),
        rx.select(
            [">", ">=", "<", "<="], value=AlertsState.form_op, on_change=lambda v: AlertsState.set_form("form_op", v)
        ),
        rx.input(value=AlertsState.form_value, on_change=lambda v: AlertsState.set_form("form_value", v), width="7rem"),
        rx.select(
            ["info", "warning", "critical"],
            value=AlertsState.form_severity,
            on_change=lambda v: AlertsState.set_form("form_severity", v),
        ),
        rx.button(rx.icon("plus", size=14), "Add threshold rule", on_click=AlertsState.create_rule),
        spacing="2",
        wrap="wrap",
    )


@template(route=routes.ALERTS, title="Alerts", description="Alerts and alert rules", on_load=AlertsState.start_refresh)
def alerts_page() -> rx.Component:
    """Alerts (newest first) with acknowledge/resolve, and the tenant's rules."""
    return rx.vstack(
        rx.cond(AlertsState.error != "", rx.callout(AlertsState.error, icon="triangle-alert", color_scheme="red")),
        section_card(
            "Alerts",
            "Incidents raised by the rules, newest first (refreshes every 5 s).",
            "bell",
            data_table(
                ("Started (UTC)", "Severity", "State", "Alert", "Agent", ""), AlertsState.alerts, _alert, "No alerts."
            ),
        ),
        section_card(
            "Rules",
            "What is watched. Threshold rules compare a KPI over the last minutes.",
            "list-checks",
            _new_rule(),
            data_table(("Name", "Kind", "Severity", "Agent", "", ""), AlertsState.rules, _rule, "No rules."),
        ),
        spacing="4",
        width="100%",
    )
