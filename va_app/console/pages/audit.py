"""Audit log: every change in this tenant (who, what, when, from where), filterable and exportable."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from va_app.console import routes
from va_app.console.components.panels import empty_row
from va_app.console.states.audit import AuditRow, AuditState
from va_app.console.template import template

COLUMNS = 7


def _filter_field(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", weight="medium", color=rx.color("gray", 11)), control, spacing="1")


def _filters() -> rx.Component:
    return rx.card(
        rx.form(
            rx.flex(
                _filter_field(
                    "Action starts with",
                    rx.input(
                        name="action", default_value=AuditState.action, placeholder="e.g. api_key.", width="12rem"
                    ),
                ),
                _filter_field(
                    "Target type",
                    rx.input(
                        name="target_type", default_value=AuditState.target_type, placeholder="e.g. user", width="10rem"
                    ),
                ),
                _filter_field("Since (UTC)", rx.input(name="since", type="date", default_value=AuditState.since)),
                _filter_field("Until (UTC)", rx.input(name="until", type="date", default_value=AuditState.until)),
                rx.hstack(
                    rx.button(rx.icon("filter", size=14), "Apply", type="submit"),
                    rx.cond(
                        AuditState.filtered,
                        rx.button(
                            "Clear", type="button", variant="soft", color_scheme="gray", on_click=AuditState.clear
                        ),
                    ),
                    spacing="2",
                ),
                rx.spacer(),
                rx.button(
                    rx.icon("download", size=14),
                    "Export CSV",
                    type="button",
                    variant="outline",
                    loading=AuditState.exporting,
                    on_click=AuditState.export_csv,
                ),
                align="end",
                spacing="3",
                wrap="wrap",
                width="100%",
            ),
            on_submit=AuditState.apply,
            key=AuditState.form_key,  # a new key remounts the inputs, so "Clear" empties them
            width="100%",
        ),
        size="2",
        width="100%",
    )


def _json_block(title: str, text: rx.Var[str]) -> rx.Component:
    return rx.vstack(
        rx.text(title, size="1", weight="bold", color=rx.color("gray", 11)),
        rx.cond(
            text != "",
            rx.el.pre(
                text,
                font_size="12px",
                font_family="var(--code-font-family)",
                background=rx.color("gray", 2),
                border=f"1px solid {rx.color('gray', 4)}",
                border_radius="var(--radius-2)",
                padding="0.5rem 0.75rem",
                margin="0",
                width="100%",
                overflow_x="auto",
                white_space="pre-wrap",
            ),
            rx.text("—", size="2", color=rx.color("gray", 10)),
        ),
        spacing="1",
        width="100%",
        min_width="0",
    )


def _entry(row: ObjectVar[AuditRow]) -> rx.Component:
    row_id = row["id"].to(str)
    is_open = AuditState.expanded.contains(row_id)
    has_detail = (row["before"].to(str) != "") | (row["after"].to(str) != "")
    return rx.fragment(
        rx.table.row(
            rx.table.cell(
                rx.cond(
                    has_detail,
                    rx.icon_button(
                        rx.cond(is_open, rx.icon("chevron-down", size=14), rx.icon("chevron-right", size=14)),
                        variant="ghost",
                        size="1",
                        aria_label="Show before and after",
                        on_click=AuditState.toggle(row_id),  # type: ignore[operator]
                    ),
                ),
                width="2rem",
            ),
            rx.table.cell(rx.text(row["time"], size="2", white_space="nowrap")),
            rx.table.cell(
                rx.vstack(
                    rx.text(row["actor"], size="2", weight="medium", white_space="nowrap"),
                    rx.text(row["actor_type"], size="1", color=rx.color("gray", 10)),
                    spacing="0",
                )
            ),
            rx.table.cell(rx.code(row["action"], variant="soft", size="2", class_name="audit-action")),
            rx.table.cell(
                rx.hstack(
                    rx.text(row["target_type"], size="2"),
                    rx.code(row["target_short"], variant="ghost", size="1", title=row["target_id"].to(str)),
                    spacing="2",
                    align="center",
                )
            ),
            rx.table.cell(rx.text(row["ip"], size="2", white_space="nowrap")),
            rx.table.cell(
                rx.code(row["request_short"], variant="ghost", size="1", title=row["request_id"].to(str)),
            ),
            align="center",
            class_name="audit-row",
        ),
        rx.cond(
            is_open,
            rx.table.row(
                rx.table.cell(
                    rx.grid(
                        _json_block("Before", row["before"].to(str)),
                        _json_block("After", row["after"].to(str)),
                        columns="2",
                        spacing="3",
                        width="100%",
                    ),
                    col_span=COLUMNS,
                    background=rx.color("gray", 1),
                )
            ),
        ),
    )


def _table() -> rx.Component:
    headers = ("", "Time (UTC)", "Actor", "Action", "Target", "IP", "Request id")
    return rx.card(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(
                rx.cond(
                    AuditState.rows.length() > 0,
                    rx.foreach(AuditState.rows, _entry),
                    empty_row(COLUMNS, "No audit entries match these filters."),
                )
            ),
            variant="ghost",
            size="2",
            width="100%",
        ),
        rx.cond(
            AuditState.next_cursor != "",
            rx.center(rx.button("Load more", variant="soft", on_click=AuditState.load_more), padding_top="1rem"),
        ),
        size="2",
        width="100%",
    )


@template(
    route=routes.AUDIT,
    title="Audit log",
    description="Every change made in this tenant, with before and after values.",
    on_load=AuditState.load,
)
def audit() -> rx.Component:
    """Filters and export, then the entries (newest first) with expandable before/after values."""
    return rx.vstack(
        rx.vstack(
            rx.heading("Activity", size="4"),
            rx.text(
                "Every change in this tenant, newest first. Secrets are redacted before they are stored.",
                size="2",
                color=rx.color("gray", 11),
            ),
            spacing="1",
        ),
        _filters(),
        rx.cond(
            AuditState.load_error != "",
            rx.callout(AuditState.load_error, icon="circle-alert", color_scheme="amber", width="100%"),
        ),
        rx.cond(AuditState.loaded, _table(), rx.skeleton(rx.card(height="12rem", width="100%"))),
        spacing="4",
        width="100%",
    )
