"""Integrations: the connectors this platform offers, connecting one (tested first), and the
status of what this tenant connected: last sync, errors, backlog, a connection test, disconnect."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from va_app.console import routes
from va_app.console.components.panels import (
    confirm_dialog,
    data_table,
    error_callout,
    loaded_page,
    section_card,
    time_text,
)
from va_app.console.states.integrations import ConnectorRow, FieldSpec, IntegrationRow, IntegrationsState
from va_app.console.template import template

COLUMNS = ("Integration", "Status", "Last sync (UTC)", "Events", "Errors", "Backlog", "Last error", "")


def _connector_card(row: ObjectVar[ConnectorRow]) -> rx.Component:
    kind = row["kind"].to(str)
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(row["title"], size="3", weight="bold"),
                rx.spacer(),
                rx.code(kind, variant="ghost", size="1"),
                align="center",
                width="100%",
            ),
            rx.hstack(
                rx.foreach(
                    row["capabilities"].to(list[str]),
                    lambda c: rx.badge(c, variant="soft", color_scheme="indigo", size="1"),
                ),
                spacing="1",
                wrap="wrap",
            ),
            rx.text(
                "Credentials: ",
                rx.cond(
                    row["credential_fields"].to(list[str]).length() > 0,
                    row["credential_fields"].to(list[str]).join(", "),
                    "none",
                ),
                size="1",
                color=rx.color("gray", 11),
            ),
            rx.cond(
                row["actions"].to(list[str]).length() > 0,
                rx.text("Actions: ", row["actions"].to(list[str]).join(", "), size="1", color=rx.color("gray", 11)),
            ),
            rx.spacer(),
            rx.cond(
                IntegrationsState.can_write,
                rx.button(
                    rx.icon("plug", size=14),
                    "Connect",
                    size="1",
                    variant="soft",
                    on_click=IntegrationsState.open_connect(kind),  # type: ignore[operator]
                    class_name="connect-" + kind,
                ),
            ),
            spacing="2",
            height="100%",
            align="start",
        ),
        size="1",
        class_name="connector-card",
    )


def _catalogue() -> rx.Component:
    return section_card(
        "Available connectors",
        "Channels answer end users through an agent; CRM, helpdesk and REST connectors run actions.",
        "blocks",
        rx.grid(
            rx.foreach(IntegrationsState.connectors, _connector_card),
            columns=rx.breakpoints(initial="1", sm="2", lg="4"),
            spacing="3",
            width="100%",
        ),
    )


def _status_badge(status: rx.Var[str]) -> rx.Component:
    return rx.match(
        status,
        ("connected", rx.badge(rx.icon("circle-check", size=12), "connected", color_scheme="grass", variant="soft")),
        ("error", rx.badge(rx.icon("circle-alert", size=12), "error", color_scheme="tomato", variant="soft")),
        rx.badge(status, color_scheme="gray", variant="soft"),
    )


def _actions(row: ObjectVar[IntegrationRow]) -> rx.Component:
    iid, name = row["id"].to(str), row["name"].to(str)
    return rx.cond(
        IntegrationsState.can_write,
        rx.hstack(
            rx.button(
                rx.icon("activity", size=14),
                "Test connection",
                size="1",
                variant="soft",
                loading=IntegrationsState.testing_id == iid,
                on_click=IntegrationsState.test_connection(iid),  # type: ignore[operator]
            ),
            rx.icon_button(
                rx.icon("unplug", size=15),
                variant="ghost",
                color_scheme="tomato",
                aria_label="Disconnect",
                title="Disconnect: deletes the stored credentials",
                on_click=IntegrationsState.ask_disconnect(iid, name),  # type: ignore[operator]
            ),
            spacing="3",
            justify="end",
            align="center",
        ),
    )


def _integration_row(row: ObjectVar[IntegrationRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(row["name"], size="2", weight="medium"),
                rx.text(row["title"], " · ", row["kind"], size="1", color=rx.color("gray", 11)),
                rx.text("Credentials set: ", row["credential_fields"], size="1", color=rx.color("gray", 10)),
                rx.cond(
                    row["config"].to(str) != "",
                    rx.text(row["config"], size="1", color=rx.color("gray", 10), style={"word_break": "break-all"}),
                ),
                rx.cond(
                    row["endpoint"].to(str) != "",
                    rx.code(row["endpoint"], size="1", variant="soft"),
                ),
                spacing="1",
                align="start",
            )
        ),
        rx.table.cell(
            rx.vstack(
                _status_badge(row["status"].to(str)),
                rx.cond(
                    row["test_result"].to(str) != "",
                    rx.text(
                        row["test_result"],
                        size="1",
                        color=rx.cond(row["test_ok"].to(bool), rx.color("grass", 11), rx.color("tomato", 11)),
                        class_name="test-result",
                    ),
                ),
                spacing="1",
                align="start",
            )
        ),
        rx.table.cell(
            rx.vstack(
                time_text(row["last_sync"].to(str), "never"),
                rx.cond(
                    row["last_event"].to(str) != "",
                    rx.text("last event ", row["last_event"], size="1", color=rx.color("gray", 10)),
                ),
                spacing="1",
            )
        ),
        rx.table.cell(rx.text(row["events"].to(str), size="2")),
        rx.table.cell(
            rx.text(
                row["errors"].to(str),
                size="2",
                color=rx.cond(row["errors"].to(int) > 0, rx.color("tomato", 11), rx.color("gray", 12)),
            )
        ),
        rx.table.cell(rx.text(row["backlog"].to(str), size="2")),
        rx.table.cell(
            rx.cond(
                row["last_error"].to(str) != "",
                rx.text(row["last_error"], size="1", color=rx.color("tomato", 11), style={"word_break": "break-word"}),
                rx.text("—", size="2"),
            ),
            max_width="18rem",
        ),
        rx.table.cell(_actions(row), text_align="right"),
        align="center",
        class_name="integration-row",
    )


def _connected() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("plug-zap", size=18),
                rx.heading("Connected", size="3"),
                rx.spacer(),
                rx.text("Refreshes every few seconds", size="1", color=rx.color("gray", 10)),
                align="center",
                width="100%",
            ),
            data_table(
                COLUMNS,
                IntegrationsState.integrations,
                _integration_row,
                "Nothing connected yet. Pick a connector above.",
                variant="ghost",
                size="2",
            ),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
    )


def _input(spec: ObjectVar[FieldSpec]) -> rx.Component:
    key = spec["key"].to(str)
    placeholder = spec["placeholder"].to(str)
    return rx.match(
        spec["kind"].to(str),
        (
            "password",
            rx.input(name=key, type="password", placeholder=placeholder, auto_complete="new-password", width="100%"),
        ),
        (
            "select",
            rx.select(spec["options"].to(list[str]), name=key, default_value=spec["default"].to(str), width="100%"),
        ),
        ("bool", rx.checkbox(name=key, default_checked=spec["checked"].to(bool), text="Enabled")),
        ("json", rx.text_area(name=key, placeholder=placeholder, rows="2", width="100%")),
        ("number", rx.input(name=key, type="number", placeholder=placeholder, width="100%")),
        rx.input(name=key, placeholder=placeholder, width="100%"),
    )


def _form_field(spec: ObjectVar[FieldSpec]) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(spec["label"], size="2", weight="medium"),
            rx.cond(spec["required"].to(bool), rx.text("*", size="2", color=rx.color("tomato", 11))),
            rx.cond(
                spec["key"].to(str).startswith("credentials."),
                rx.badge("credential", size="1", variant="outline", color_scheme="gray"),
            ),
            spacing="1",
            align="center",
        ),
        _input(spec),
        rx.cond(spec["hint"].to(str) != "", rx.text(spec["hint"], size="1", color=rx.color("gray", 10))),
        spacing="1",
        width="100%",
    )


def _connect_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Connect ", IntegrationsState.connect_title),
            rx.dialog.description(
                "The connection is tested with these credentials before anything is saved. "
                "Credentials are stored encrypted and never shown again.",
                size="2",
                margin_bottom="1rem",
            ),
            rx.form(
                rx.vstack(
                    rx.vstack(
                        rx.text("Name", size="2", weight="medium"),
                        rx.input(
                            name="name",
                            default_value=IntegrationsState.connect_title,
                            placeholder="e.g. the workspace or team",
                            width="100%",
                        ),
                        spacing="1",
                        width="100%",
                    ),
                    rx.foreach(IntegrationsState.connect_fields, _form_field),
                    error_callout(IntegrationsState.connect_error, "connect-error"),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button(
                                "Cancel",
                                variant="soft",
                                color_scheme="gray",
                                type="button",
                                disabled=IntegrationsState.connecting,
                            )
                        ),
                        rx.button(
                            "Test and connect",
                            type="submit",
                            loading=IntegrationsState.connecting,
                            class_name="connect-submit",
                        ),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=IntegrationsState.submit_connect,
                reset_on_submit=False,
                width="100%",
            ),
            max_width="34rem",
            max_height="90vh",
            overflow_y="auto",
        ),
        open=IntegrationsState.connect_open,
        on_open_change=IntegrationsState.set_connect_open,
    )


def _result() -> rx.Component:
    return rx.cond(
        IntegrationsState.connect_result != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("circle-check")),
            rx.vstack(
                rx.callout.text(IntegrationsState.connect_result, class_name="connect-result"),
                rx.cond(
                    IntegrationsState.connect_endpoint != "",
                    rx.text(
                        "Configure the provider side with: ",
                        rx.code(IntegrationsState.connect_endpoint, size="2"),
                        size="2",
                    ),
                ),
                rx.link("Dismiss", size="1", on_click=IntegrationsState.dismiss_result, cursor="pointer"),
                spacing="1",
            ),
            color_scheme="grass",
            width="100%",
        ),
    )


def _confirm() -> rx.Component:
    return confirm_dialog(
        IntegrationsState.confirm_open,
        "Disconnect this integration?",
        rx.text(
            rx.text.strong(IntegrationsState.pending_name),
            " stops working at once: its stored credentials are deleted and its webhooks are refused. "
            "Connecting it again needs the credentials again.",
        ),
        "Disconnect",
        IntegrationsState.confirm_disconnect,
        IntegrationsState.cancel,
    )


@template(
    route=routes.INTEGRATIONS,
    title="Integrations",
    description="Connect channels, CRMs and REST services; see their status.",
    on_load=IntegrationsState.start_refresh,
)
def integrations_page() -> rx.Component:
    """Result of the last connect, the connected table, the catalogue and the dialogs."""
    return loaded_page(
        "Integration hub",
        rx.text(
            "Channels, CRMs and REST services this tenant's agents use. Outbound event webhooks are on ",
            rx.link("Webhooks", href=routes.WEBHOOKS),
            ".",
            size="2",
            color=rx.color("gray", 11),
        ),
        load_error=IntegrationsState.load_error,
        loaded=IntegrationsState.loaded,
        refresh_error=IntegrationsState.refresh_error,
        body=[_result(), _connected(), _catalogue()],
        dialogs=[_connect_dialog(), _confirm()],
    )
