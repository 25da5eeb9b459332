"""Knowledge bases: what agents ground their answers in, with indexing status; create and delete."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from va_app.console import routes
from va_app.console.components.agents import labelled
from va_app.console.components.panels import confirm_dialog, empty_row, error_callout, time_text
from va_app.console.states.knowledge import KbRow, KnowledgeState
from va_app.console.template import template

COLUMNS = 7


def _status(row: ObjectVar[KbRow]) -> rx.Component:
    return rx.cond(
        row["status"].to(str) == "indexing",
        rx.hstack(
            rx.badge(rx.icon("loader", size=12), "indexing", color_scheme="amber", variant="soft"),
            rx.progress(value=row["progress"].to(int), max=100, width="5rem", size="1", color_scheme="amber"),
            align="center",
            spacing="2",
        ),
        rx.hstack(
            rx.badge("ready", color_scheme="grass", variant="soft", class_name="kb-status"),
            rx.cond(
                row["failed"].to(int) > 0,
                rx.badge(row["failed"].to_string() + " failed", color_scheme="tomato", variant="soft"),
            ),
            spacing="1",
        ),
    )


def _row(row: ObjectVar[KbRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.link(
                    row["name"].to(str),
                    href="/knowledge/" + row["id"].to(str),
                    weight="medium",
                    size="2",
                    class_name="kb-link",
                ),
                rx.text(row["description"].to(str), size="1", color=rx.color("gray", 10)),
                spacing="0",
            )
        ),
        rx.table.cell(_status(row)),
        rx.table.cell(rx.text(row["documents"].to_string(), size="2")),
        rx.table.cell(rx.text(row["chunks"].to_string(), size="2")),
        rx.table.cell(rx.code(row["model"].to(str), variant="ghost", size="1")),
        rx.table.cell(time_text(row["created"].to(str))),
        rx.table.cell(
            rx.cond(
                KnowledgeState.can_write,
                rx.icon_button(
                    rx.icon("trash-2", size=15),
                    variant="ghost",
                    color_scheme="tomato",
                    aria_label="Delete knowledge base",
                    title="Delete with its documents",
                    on_click=KnowledgeState.ask_delete(row["id"].to(str), row["name"].to(str)),  # type: ignore[operator]
                ),
            ),
            text_align="right",
        ),
        align="center",
        class_name="kb-row",
    )


def _table() -> rx.Component:
    headers = ("Name", "Status", "Documents", "Chunks", "Embedding model", "Created (UTC)", "")
    return rx.card(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(
                rx.cond(
                    KnowledgeState.bases.length() > 0,
                    rx.foreach(KnowledgeState.bases, _row),
                    empty_row(COLUMNS, "No knowledge bases yet. Create one and upload FAQs, manuals or web pages."),
                )
            ),
            variant="ghost",
            size="2",
            width="100%",
        ),
        rx.cond(
            KnowledgeState.next_cursor != "",
            rx.center(rx.button("Load more", variant="soft", on_click=KnowledgeState.load_more), padding_top="1rem"),
        ),
        size="2",
        width="100%",
    )


def _create_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Create a knowledge base"),
            rx.dialog.description(
                "Documents uploaded to it are split into chunks and embedded on this machine.",
                size="2",
                margin_bottom="1rem",
            ),
            rx.form(
                rx.vstack(
                    labelled("Name", rx.input(name="name", placeholder="e.g. Hotel FAQ", width="100%")),
                    labelled(
                        "Description (optional)",
                        rx.input(name="description", placeholder="what it covers", width="100%"),
                    ),
                    error_callout(KnowledgeState.create_error),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Create", type="submit"),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=KnowledgeState.create,
                width="100%",
            ),
            max_width="30rem",
        ),
        open=KnowledgeState.create_open,
        on_open_change=KnowledgeState.set_create_open,
    )


@template(
    route=routes.KNOWLEDGE,
    title="Knowledge",
    description="Knowledge bases of this tenant.",
    on_load=KnowledgeState.load,
)
def knowledge() -> rx.Component:
    """Toolbar, the table of bases and the create / delete dialogs."""
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.heading("Knowledge bases", size="4"),
                rx.text(
                    "Agents answer from these. Open one to upload documents and try a search.",
                    size="2",
                    color=rx.color("gray", 11),
                ),
                spacing="1",
            ),
            rx.spacer(),
            rx.cond(
                KnowledgeState.can_write,
                rx.button(
                    rx.icon("plus", size=14),
                    "Create knowledge base",
                    on_click=KnowledgeState.set_create_open(True),  # type: ignore[operator]
                ),
            ),
            align="end",
            width="100%",
        ),
        rx.cond(
            KnowledgeState.load_error != "",
            rx.callout(KnowledgeState.load_error, icon="lock", color_scheme="amber", width="100%"),
            rx.cond(KnowledgeState.loaded, _table(), rx.skeleton(rx.card(height="12rem", width="100%"))),
        ),
        _create_dialog(),
        confirm_dialog(
            KnowledgeState.confirm_open,
            "Delete this knowledge base?",
            rx.text(
                rx.text.strong(KnowledgeState.pending_name),
                " and all its documents and chunks are deleted. Agent versions that use it answer without it.",
            ),
            "Delete",
            KnowledgeState.confirm_delete,
            KnowledgeState.cancel,
        ),
        spacing="4",
        width="100%",
    )
