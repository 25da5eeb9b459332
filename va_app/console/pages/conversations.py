"""Conversation explorer: search and filter conversations, read one transcript turn by turn."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from core.outcomes import EVENT_OUTCOMES
from va_app.console import routes
from va_app.console.components.panels import data_table, section_card
from va_app.console.states.conversations import ConversationRow, ConversationsState, TurnRow
from va_app.console.template import template

OUTCOMES = ["all", *EVENT_OUTCOMES]


def _input(name: str, placeholder: str, width: str = "10rem") -> rx.Component:
    return rx.input(
        placeholder=placeholder,
        value=getattr(ConversationsState, name),
        on_change=lambda v: ConversationsState.set_field(name, v),
        debounce_timeout=600,
        width=width,
        name=name,
    )


def _filters() -> rx.Component:
    return rx.flex(
        _input("q", "Text in a message or reply", "16rem"),
        _input("agent", "Agent (slug or id)"),
        _input("version", "Version", "6rem"),
        rx.select(
            OUTCOMES,
            value=rx.cond(ConversationsState.outcome == "", "all", ConversationsState.outcome),
            on_change=lambda v: ConversationsState.set_field("outcome", v),
        ),
        _input("start", "From (UTC, ISO)", "12rem"),
        _input("end", "To (UTC, ISO)", "12rem"),
        spacing="2",
        wrap="wrap",
        width="100%",
    )


def _row(row: ObjectVar[ConversationRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["last_turn"], size="2", white_space="nowrap")),
        rx.table.cell(
            rx.link(
                row["conversation_id"],
                on_click=ConversationsState.open_conversation(row["conversation_id"], row["started_iso"]),
                cursor="pointer",
                class_name="conversation-link",
            )
        ),
        rx.table.cell(rx.text(row["agent_id"], size="2")),
        rx.table.cell(rx.text(row["version"], size="2")),
        rx.table.cell(rx.text(row["channel"], size="2")),
        rx.table.cell(rx.text(row["turns"].to(str), size="2")),
        rx.table.cell(rx.badge(row["outcome"], variant="soft")),
        rx.table.cell(rx.text(row["cost"], size="2")),
    )


def _turn(turn: ObjectVar[TurnRow]) -> rx.Component:
    meta = rx.hstack(
        rx.text(turn["time"], size="1", color=rx.color("gray", 10)),
        rx.badge(turn["model"], variant="outline", size="1"),
        rx.badge(turn["latency"], size="1"),
        rx.badge(turn["tokens"], " tokens", size="1"),
        rx.badge(turn["cost"], size="1"),
        rx.badge("cache: ", turn["cache_kind"], size="1", color_scheme="cyan"),
        rx.badge(turn["outcome"], size="1", color_scheme="violet"),
        spacing="2",
        wrap="wrap",
    )
    return rx.vstack(
        meta,
        rx.box(
            rx.text(turn["user_message"], size="2"),
            background=rx.color("gray", 3),
            padding="0.5rem",
            border_radius="var(--radius-3)",
            width="100%",
        ),
        rx.box(
            rx.text(turn["reply"], size="2"),
            background=rx.color("accent", 3),
            padding="0.5rem",
            border_radius="var(--radius-3)",
            width="100%",
            class_name="turn-reply",
        ),
        spacing="2",
        width="100%",
        class_name="transcript-turn",
    )


def _transcript() -> rx.Component:
    return rx.cond(
        ConversationsState.selected != "",
        section_card(
            "Transcript",
            "Every turn in order: user message, reply, model, latency, tokens, cost and cache kind.",
            "message-square-text",
            rx.hstack(
                rx.code(ConversationsState.selected),
                rx.spacer(),
                rx.button("Close", on_click=ConversationsState.close, variant="soft", size="1"),
            ),
            rx.foreach(ConversationsState.turns, _turn),
            class_name="transcript",
        ),
    )


@template(
    route=routes.CONVERSATIONS,
    title="Conversations",
    description="Search conversations and read transcripts",
    on_load=ConversationsState.load,
)
def conversations_page() -> rx.Component:
    """Filtered list of conversations (newest first) and the transcript of the one opened."""
    headers = ("Last turn (UTC)", "Conversation", "Agent", "Version", "Channel", "Turns", "Outcome", "Cost")
    return rx.vstack(
        _filters(),
        rx.cond(
            ConversationsState.error != "",
            rx.callout(ConversationsState.error, icon="triangle-alert", color_scheme="red"),
        ),
        _transcript(),
        section_card(
            "Conversations",
            "Most recent activity first (the last 7 days unless a range is given).",
            "messages-square",
            data_table(headers, ConversationsState.rows, _row, "No conversations match."),
        ),
        spacing="4",
        width="100%",
    )
