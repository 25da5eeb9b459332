"""API keys: who can call the API as this tenant, how old each key is, and its one-time secret."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from va_app.console import routes
from va_app.console.components.panels import (
    confirm_dialog,
    empty_row,
    error_callout,
    one_time_secret,
    role_badge,
    time_text,
)
from va_app.console.states.api_keys import GRACE_HOURS, ApiKeysState, KeyRow
from va_app.console.template import template

COLUMNS = 8


def _status(row: ObjectVar[KeyRow]) -> rx.Component:
    """Revoked, stale (older than 90 days: rotate it), in rotation grace, or active."""
    return rx.cond(
        row["revoked"].to(bool),
        rx.badge("revoked", color_scheme="gray", variant="outline"),
        rx.hstack(
            rx.cond(
                row["stale"].to(bool),
                rx.tooltip(
                    rx.badge(
                        rx.icon("triangle-alert", size=12),
                        "stale",
                        color_scheme="amber",
                        variant="soft",
                        class_name="stale-badge",
                    ),
                    content="Older than 90 days: rotate it.",
                ),
                rx.badge("active", color_scheme="grass", variant="soft"),
            ),
            rx.cond(
                row["grace_until"].to(str) != "",
                rx.tooltip(
                    rx.badge(rx.icon("history", size=12), "old secret valid", color_scheme="blue", variant="soft"),
                    content="The previous secret works until " + row["grace_until"].to(str) + " UTC.",
                ),
            ),
            spacing="1",
        ),
    )


def _actions(row: ObjectVar[KeyRow]) -> rx.Component:
    key_id, name = row["id"].to(str), row["name"].to(str)
    return rx.cond(
        ApiKeysState.can_write & ~row["revoked"].to(bool),
        rx.hstack(
            rx.icon_button(
                rx.icon("refresh-cw", size=15),
                variant="ghost",
                aria_label="Rotate key",
                title="Rotate: new secret, old one valid 24 h",
                on_click=ApiKeysState.ask("rotate", key_id, name),  # type: ignore[operator]
            ),
            rx.icon_button(
                rx.icon("ban", size=15),
                variant="ghost",
                color_scheme="tomato",
                aria_label="Revoke key",
                title="Revoke now",
                on_click=ApiKeysState.ask("revoke", key_id, name),  # type: ignore[operator]
            ),
            spacing="2",
            justify="end",
        ),
    )


def _key_row(row: ObjectVar[KeyRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["name"], size="2", weight="medium")),
        rx.table.cell(rx.code("va_" + row["prefix"].to(str) + "_…", variant="ghost", size="2")),
        rx.table.cell(role_badge(row["role"].to(str))),
        rx.table.cell(time_text(row["created"].to(str))),
        rx.table.cell(time_text(row["last_used"].to(str))),
        rx.table.cell(time_text(row["expires"].to(str))),
        rx.table.cell(_status(row)),
        rx.table.cell(_actions(row), text_align="right"),
        align="center",
        class_name="key-row",
        opacity=rx.cond(row["revoked"].to(bool), "0.6", "1"),
    )


def _table() -> rx.Component:
    headers = ("Name", "Key", "Role", "Created (UTC)", "Last used", "Expires", "Status", "")
    return rx.card(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(
                rx.cond(
                    ApiKeysState.keys.length() > 0,
                    rx.foreach(ApiKeysState.keys, _key_row),
                    empty_row(COLUMNS, "No API keys yet. Create one for each service that calls the API."),
                )
            ),
            variant="ghost",
            size="2",
            width="100%",
        ),
        rx.cond(
            ApiKeysState.next_cursor != "",
            rx.center(rx.button("Load more", variant="soft", on_click=ApiKeysState.load_more), padding_top="1rem"),
        ),
        size="2",
        width="100%",
    )


def _labelled(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        control,
        spacing="1",
        width="100%",
    )


def _create_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Create an API key"),
            rx.dialog.description(
                "The key acts as this tenant with the role you pick (no higher than yours).",
                size="2",
                margin_bottom="1rem",
            ),
            rx.form(
                rx.vstack(
                    _labelled("Name", rx.input(name="name", placeholder="e.g. website chat widget", width="100%")),
                    _labelled(
                        "Role",
                        rx.select(
                            ApiKeysState.key_roles,
                            value=ApiKeysState.create_role,
                            on_change=ApiKeysState.set_create_role,
                            width="100%",
                        ),
                    ),
                    rx.grid(
                        _labelled("Expires on (optional)", rx.input(name="expires", type="date", width="100%")),
                        _labelled(
                            "Rate limit (optional)",
                            rx.input(
                                name="rate_limit", type="number", min=1, placeholder="requests / min", width="100%"
                            ),
                        ),
                        columns="2",
                        spacing="3",
                        width="100%",
                    ),
                    error_callout(ApiKeysState.create_error),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Create key", type="submit"),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=ApiKeysState.create,
                width="100%",
            ),
            max_width="32rem",
        ),
        open=ApiKeysState.create_open,
        on_open_change=ApiKeysState.set_create_open,
    )


def _secret_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(ApiKeysState.new_key_rotated, "Key rotated", "Key created")),
            rx.dialog.description(
                rx.text("Key ", rx.text.strong(ApiKeysState.new_key_name), " is ready to use."),
                size="2",
                margin_bottom="1rem",
            ),
            rx.vstack(
                one_time_secret(
                    "API key",
                    ApiKeysState.new_key,
                    "Copy it now: it is not shown again. Only a hash is stored, so a lost key must be rotated.",
                    "new-api-key",
                ),
                rx.cond(
                    ApiKeysState.new_key_rotated,
                    rx.callout(
                        f"The old key stays valid for {GRACE_HOURS} hours so you can roll out the new one.",
                        icon="history",
                        color_scheme="blue",
                        size="1",
                        width="100%",
                    ),
                ),
                rx.hstack(rx.dialog.close(rx.button("Done")), justify="end", width="100%"),
                spacing="3",
                width="100%",
            ),
            max_width="36rem",
        ),
        open=ApiKeysState.secret_open,
        on_open_change=ApiKeysState.close_secret,
    )


def _confirm() -> rx.Component:
    rotate = ApiKeysState.pending_action == "rotate"
    return confirm_dialog(
        ApiKeysState.confirm_open,
        rx.cond(rotate, "Rotate this key?", "Revoke this key?"),
        rx.cond(
            rotate,
            rx.text(
                "A new secret is issued for ",
                rx.text.strong(ApiKeysState.pending_name),
                f". The old secret keeps working for {GRACE_HOURS} hours, then stops.",
            ),
            rx.text(
                rx.text.strong(ApiKeysState.pending_name),
                " stops working at once, on every server. This cannot be undone.",
            ),
        ),
        rx.cond(rotate, "Rotate", "Revoke"),
        ApiKeysState.confirm,
        ApiKeysState.cancel,
        color_scheme=rx.cond(rotate, "indigo", "tomato"),
    )


@template(
    route=routes.API_KEYS,
    title="API keys",
    description="API keys of this tenant: create, rotate and revoke.",
    on_load=ApiKeysState.load,
)
def api_keys() -> rx.Component:
    """Toolbar (stale warning, show revoked, create), the table and the three dialogs."""
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.heading("Keys", size="4"),
                rx.text(
                    "Services call the API with these keys. Rotate any key older than 90 days.",
                    size="2",
                    color=rx.color("gray", 11),
                ),
                spacing="1",
            ),
            rx.spacer(),
            rx.cond(
                ApiKeysState.load_error == "",
                rx.hstack(
                    rx.switch(checked=ApiKeysState.include_revoked, on_change=ApiKeysState.set_include_revoked),
                    rx.text("Show revoked", size="2"),
                    align="center",
                    spacing="2",
                ),
            ),
            rx.cond(
                ApiKeysState.can_write,
                rx.button(rx.icon("plus", size=14), "Create key", on_click=ApiKeysState.set_create_open(True)),  # type: ignore[operator]
            ),
            align="end",
            spacing="4",
            width="100%",
        ),
        rx.cond(
            ApiKeysState.stale_count > 0,
            rx.callout(
                ApiKeysState.stale_count.to_string() + " key(s) are older than 90 days. Rotate them.",
                icon="triangle-alert",
                color_scheme="amber",
                width="100%",
            ),
        ),
        rx.cond(
            ApiKeysState.load_error != "",
            rx.callout(ApiKeysState.load_error, icon="lock", color_scheme="amber", width="100%"),
            rx.cond(ApiKeysState.loaded, _table(), rx.skeleton(rx.card(height="12rem", width="100%"))),
        ),
        _create_dialog(),
        _secret_dialog(),
        _confirm(),
        spacing="4",
        width="100%",
    )
