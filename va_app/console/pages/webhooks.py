"""Webhooks: the URLs that receive this tenant's events (signed, retried) and what was sent to them."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from va_app.console import routes
from va_app.console.components.panels import (
    confirm_dialog,
    data_table,
    error_callout,
    loaded_page,
    one_time_secret,
    time_text,
)
from va_app.console.states.webhooks import FAMILY_HINTS, STATUSES, DeliveryRow, SubscriptionRow, WebhooksState
from va_app.console.template import template

SUB_COLUMNS = ("URL", "Events", "State", "Failures in a row", "Last success (UTC)", "Created (UTC)", "")
LOG_COLUMNS = ("Created (UTC)", "Event", "Endpoint", "Status", "Attempts", "Response", "Time", "When", "Error", "")


def _sub_state(row: ObjectVar[SubscriptionRow]) -> rx.Component:
    return rx.cond(
        row["active"].to(bool),
        rx.badge("active", color_scheme="grass", variant="soft"),
        rx.tooltip(
            rx.badge(rx.icon("pause", size=12), "disabled", color_scheme="tomato", variant="soft"),
            content=rx.cond(
                row["disabled_reason"].to(str) != "",
                row["disabled_reason"].to(str),
                "Disabled; a redelivery re-enables it.",
            ),
        ),
    )


def _sub_row(row: ObjectVar[SubscriptionRow]) -> rx.Component:
    sid, url = row["id"].to(str), row["url"].to(str)
    return rx.table.row(
        rx.table.cell(rx.code(url, variant="ghost", size="2", style={"word_break": "break-all"})),
        rx.table.cell(
            rx.hstack(
                rx.foreach(row["event_types"].to(list[str]), lambda t: rx.badge(t, variant="outline", size="1")),
                spacing="1",
                wrap="wrap",
            )
        ),
        rx.table.cell(_sub_state(row)),
        rx.table.cell(rx.text(row["failures"].to(str), size="2")),
        rx.table.cell(time_text(row["last_success"].to(str), "never")),
        rx.table.cell(time_text(row["created"].to(str))),
        rx.table.cell(
            rx.cond(
                WebhooksState.can_write,
                rx.icon_button(
                    rx.icon("trash-2", size=15),
                    variant="ghost",
                    color_scheme="tomato",
                    aria_label="Delete subscription",
                    title="Delete: no more events are sent",
                    on_click=WebhooksState.ask_delete(sid, url),  # type: ignore[operator]
                ),
            ),
            text_align="right",
        ),
        align="center",
        class_name="subscription-row",
    )


def _subscriptions() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("webhook", size=18),
                rx.heading("Subscriptions", size="3"),
                rx.spacer(),
                rx.cond(
                    WebhooksState.can_write,
                    rx.button(
                        rx.icon("plus", size=14),
                        "Add endpoint",
                        on_click=WebhooksState.set_create_open(True),  # type: ignore[operator]
                    ),
                ),
                align="center",
                width="100%",
            ),
            data_table(
                SUB_COLUMNS,
                WebhooksState.subscriptions,
                _sub_row,
                "No endpoints yet. Add one to receive this tenant's events.",
                variant="ghost",
                size="2",
            ),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
    )


def _status_badge(status: rx.Var[str]) -> rx.Component:
    return rx.match(
        status,
        ("delivered", rx.badge("delivered", color_scheme="grass", variant="soft")),
        ("pending", rx.badge("pending", color_scheme="blue", variant="soft")),
        ("retrying", rx.badge("retrying", color_scheme="amber", variant="soft")),
        ("failed", rx.badge("failed", color_scheme="tomato", variant="soft")),
        rx.badge(status, color_scheme="gray", variant="soft"),
    )


def _delivery_row(row: ObjectVar[DeliveryRow]) -> rx.Component:
    did = row["id"].to(str)
    return rx.table.row(
        rx.table.cell(time_text(row["created"].to(str))),
        rx.table.cell(
            rx.vstack(
                rx.text(row["event_type"], size="2", weight="medium"),
                rx.text(row["event_id"], size="1", color=rx.color("gray", 10), style={"word_break": "break-all"}),
                spacing="0",
            ),
            max_width="14rem",
        ),
        rx.table.cell(rx.text(row["url"], size="1", style={"word_break": "break-all"}), max_width="14rem"),
        rx.table.cell(_status_badge(row["status"].to(str))),
        rx.table.cell(rx.text(row["attempts"].to(str), size="2")),
        rx.table.cell(rx.text(row["response_status"], size="2")),
        rx.table.cell(rx.text(row["response_ms"], size="2", white_space="nowrap")),
        rx.table.cell(rx.text(row["when"], size="1", white_space="nowrap")),
        rx.table.cell(
            rx.cond(
                row["last_error"].to(str) != "",
                rx.text(row["last_error"], size="1", color=rx.color("tomato", 11), style={"word_break": "break-word"}),
                rx.text("—", size="2"),
            ),
            max_width="16rem",
        ),
        rx.table.cell(
            rx.cond(
                WebhooksState.can_write,
                rx.button(
                    rx.icon("rotate-ccw", size=14),
                    "Redeliver",
                    size="1",
                    variant="soft",
                    loading=WebhooksState.redelivering_id == did,
                    on_click=WebhooksState.redeliver(did),  # type: ignore[operator]
                ),
            ),
            text_align="right",
        ),
        align="center",
        class_name="delivery-row",
    )


def _log() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("scroll-text", size=18),
                rx.heading("Delivery log", size="3"),
                rx.text("newest first, refreshes every few seconds", size="1", color=rx.color("gray", 10)),
                rx.spacer(),
                rx.text("Status", size="2"),
                rx.select(STATUSES, value=WebhooksState.status_filter, on_change=WebhooksState.set_status_filter),
                align="center",
                spacing="3",
                width="100%",
            ),
            data_table(
                LOG_COLUMNS,
                WebhooksState.deliveries,
                _delivery_row,
                "No deliveries yet. Matching events appear here as they are sent.",
                variant="ghost",
                size="2",
            ),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
        class_name="delivery-log",
    )


def _family(name: str, hint: str) -> rx.Component:
    return rx.hstack(
        rx.checkbox(name=f"family_{name}", text=name),
        rx.text(hint, size="1", color=rx.color("gray", 10)),
        align="center",
        spacing="3",
    )


def _create_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Add a webhook endpoint"),
            rx.dialog.description(
                "Matching events are POSTed as JSON, signed with a secret you get once, and retried with backoff.",
                size="2",
                margin_bottom="1rem",
            ),
            rx.form(
                rx.vstack(
                    rx.vstack(
                        rx.text("Endpoint URL", size="2", weight="medium"),
                        rx.input(name="url", placeholder="https://example.com/hooks/virtualagent", width="100%"),
                        spacing="1",
                        width="100%",
                    ),
                    rx.vstack(
                        rx.text("Events", size="2", weight="medium"),
                        rx.checkbox(name="all_events", text="All events (*)"),
                        *[_family(name, hint) for name, hint in FAMILY_HINTS.items()],
                        rx.input(
                            name="extra_types",
                            placeholder="or exact types, e.g. alert.firing, conversation.handoff",
                            width="100%",
                        ),
                        spacing="2",
                        width="100%",
                    ),
                    error_callout(WebhooksState.create_error, "webhook-error"),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Add endpoint", type="submit", class_name="webhook-submit"),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=WebhooksState.create,
                reset_on_submit=False,
                width="100%",
            ),
            max_width="34rem",
        ),
        open=WebhooksState.create_open,
        on_open_change=WebhooksState.set_create_open,
    )


def _secret_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Endpoint added"),
            rx.dialog.description(
                rx.text("Events now go to ", rx.text.strong(WebhooksState.new_secret_url), "."),
                size="2",
                margin_bottom="1rem",
            ),
            rx.vstack(
                one_time_secret(
                    "Signing secret",
                    WebhooksState.new_secret,
                    "Copy it now: it is not shown again. Verify the signature header of every request with it.",
                    "new-webhook-secret",
                ),
                rx.hstack(rx.dialog.close(rx.button("Done")), justify="end", width="100%"),
                spacing="3",
                width="100%",
            ),
            max_width="36rem",
        ),
        open=WebhooksState.secret_open,
        on_open_change=WebhooksState.close_secret,
    )


def _confirm() -> rx.Component:
    return confirm_dialog(
        WebhooksState.confirm_open,
        "Delete this endpoint?",
        rx.text(
            "No more events are sent to ",
            rx.text.strong(WebhooksState.pending_url),
            ". Pending deliveries to it are dropped. This cannot be undone.",
        ),
        "Delete",
        WebhooksState.confirm_delete,
        WebhooksState.cancel,
    )


@template(
    route=routes.WEBHOOKS,
    title="Webhooks",
    description="Outbound webhook endpoints and their delivery log.",
    on_load=WebhooksState.start_refresh,
)
def webhooks_page() -> rx.Component:
    """Subscriptions, the delivery log and the three dialogs."""
    return loaded_page(
        "Outbound webhooks",
        rx.text(
            "Your endpoints receive conversation, agent, alert and budget events, signed and retried.",
            size="2",
            color=rx.color("gray", 11),
        ),
        load_error=WebhooksState.load_error,
        loaded=WebhooksState.loaded,
        refresh_error=WebhooksState.refresh_error,
        body=[_subscriptions(), _log()],
        dialogs=[_create_dialog(), _secret_dialog(), _confirm()],
    )
