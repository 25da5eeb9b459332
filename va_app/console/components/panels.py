"""Widgets shared by the identity pages: section cards, one-time secrets, confirmations, badges.

They take Vars and event handlers and know nothing of any one state, so the users, API keys,
account and audit pages look alike.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

ROLE_COLORS = {
    "owner": "violet",
    "admin": "indigo",
    "developer": "cyan",
    "analyst": "teal",
    "viewer": "gray",
    "superadmin": "crimson",
}


def section_card(title: str, description: str, icon: str, *children: rx.Component, **props: Any) -> rx.Component:
    """A titled card with an icon, a one-line explanation and its content."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.center(
                    rx.icon(icon, size=18, color=rx.color("accent", 11)),
                    width="2.25rem",
                    height="2.25rem",
                    min_width="2.25rem",
                    border_radius="var(--radius-3)",
                    background=rx.color("accent", 3),
                ),
                rx.vstack(
                    rx.heading(title, size="4"),
                    rx.text(description, size="2", color=rx.color("gray", 11)),
                    spacing="1",
                ),
                align="center",
                spacing="3",
            ),
            *children,
            spacing="4",
            width="100%",
        ),
        size="3",
        width="100%",
        **props,
    )


def role_badge(role: rx.Var[str] | str) -> rx.Component:
    """A role in its colour, so owners and admins stand out in a long table."""
    return rx.match(
        role,
        *[(name, rx.badge(name, color_scheme=color, variant="soft")) for name, color in ROLE_COLORS.items()],
        rx.badge(role, color_scheme="gray", variant="soft"),
    )


def error_callout(message: rx.Var[str], class_name: str = "form-error") -> rx.Component:
    """A red callout that is there only while ``message`` is not empty."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="circle-alert", color_scheme="tomato", size="1", width="100%", class_name=class_name),
    )


def one_time_secret(label: str, value: rx.Var[str], warning: rx.Var[str] | str, class_name: str) -> rx.Component:
    """A secret shown once: monospace text, a copy button and a warning that it will not be shown again."""
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        rx.hstack(
            rx.code(
                value,
                size="3",
                variant="soft",
                class_name=class_name,
                style={"word_break": "break-all", "padding": "0.5rem 0.75rem", "flex": "1"},
            ),
            rx.button(
                rx.icon("copy", size=14),
                "Copy",
                on_click=[rx.set_clipboard(value), rx.toast.info("Copied to the clipboard.")],
                variant="soft",
                size="2",
                type="button",
            ),
            align="center",
            width="100%",
        ),
        rx.callout(warning, icon="triangle-alert", color_scheme="amber", size="1", width="100%"),
        spacing="2",
        width="100%",
    )


def confirm_dialog(
    open_: rx.Var[bool],
    title: str | rx.Var[str],
    body: rx.Component,
    confirm_label: str | rx.Var[str],
    on_confirm: Any,
    on_cancel: Any,
    color_scheme: str | rx.Var[str] = "tomato",
) -> rx.Component:
    """A controlled alert dialog: one per page, its subject held in the page state."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(body, size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray", on_click=on_cancel)),
                rx.alert_dialog.action(rx.button(confirm_label, color_scheme=color_scheme, on_click=on_confirm)),
                spacing="3",
                justify="end",
                margin_top="1rem",
            ),
            max_width="30rem",
        ),
        open=open_,
    )


def empty_row(columns: int, text: str | rx.Var[str]) -> rx.Component:
    """A table row saying there is nothing to list."""
    return rx.table.row(
        rx.table.cell(
            rx.text(text, size="2", color=rx.color("gray", 10)),
            col_span=columns,
            text_align="center",
            padding_y="1.5rem",
        )
    )


def data_table(
    headers: tuple[str, ...] | list[str], rows: rx.Var, render: Any, empty: str | rx.Var[str], **props: Any
) -> rx.Component:
    """A table of ``rows`` drawn by ``render``, saying ``empty`` when there are none."""
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        rx.table.body(rx.cond(rows.length() > 0, rx.foreach(rows, render), empty_row(len(headers), empty))),  # type: ignore[attr-defined]
        **{"width": "100%", **props},
    )


def time_text(value: rx.Var[str], empty: str = "—") -> rx.Component:
    """A preformatted timestamp, or a dash when there is none."""
    return rx.cond(value != "", rx.text(value, size="2", white_space="nowrap"), rx.text(empty, size="2"))


def loaded_page(
    heading: str,
    intro: rx.Component,
    *,
    load_error: rx.Var[str],
    loaded: rx.Var[bool],
    refresh_error: rx.Var[str],
    body: list[rx.Component],
    dialogs: list[rx.Component],
) -> rx.Component:
    """A page that loads once and then refreshes: heading, a readable refusal when the role may
    not read it, a skeleton until the first load, then the last refresh error above the body."""
    return rx.vstack(
        rx.vstack(rx.heading(heading, size="4"), intro, spacing="1"),
        rx.cond(
            load_error != "",
            rx.callout(load_error, icon="lock", color_scheme="amber", width="100%"),
            rx.cond(
                loaded,
                rx.vstack(error_callout(refresh_error, "refresh-error"), *body, spacing="4", width="100%"),
                rx.skeleton(rx.card(height="12rem", width="100%")),
            ),
        ),
        *dialogs,
        spacing="4",
        width="100%",
    )
