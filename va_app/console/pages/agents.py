"""Agents: every agent of the tenant with what each environment runs, new ones from templates, clones."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from va_app.console import routes
from va_app.console.components.agents import env_badge
from va_app.console.components.panels import confirm_dialog, empty_row, time_text
from va_app.console.pages.agent_create import clone_dialog, wizard
from va_app.console.states.agent_create import AgentCreateState
from va_app.console.states.agents import AgentRow, AgentsState
from va_app.console.template import template

COLUMNS = 6


def _name_cell(row: ObjectVar[AgentRow]) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.link(
                row["name"].to(str),
                href="/agents/" + row["slug"].to(str),
                weight="medium",
                size="2",
                class_name="agent-link",
            ),
            rx.cond(row["archived"].to(bool), rx.badge("archived", color_scheme="gray", variant="outline")),
            align="center",
            spacing="2",
        ),
        rx.text(row["slug"].to(str), size="1", color=rx.color("gray", 10), font_family="var(--code-font-family)"),
        spacing="0",
    )


def _actions(row: ObjectVar[AgentRow]) -> rx.Component:
    slug, name = row["slug"].to(str), row["name"].to(str)
    return rx.cond(
        AgentsState.can_write,
        rx.hstack(
            rx.icon_button(
                rx.icon("copy", size=15),
                variant="ghost",
                aria_label="Clone agent",
                title="Clone into a new agent",
                on_click=AgentCreateState.ask_clone(slug, name),  # type: ignore[operator]
            ),
            rx.cond(
                row["archived"].to(bool),
                rx.icon_button(
                    rx.icon("archive-restore", size=15),
                    variant="ghost",
                    aria_label="Restore agent",
                    title="Restore",
                    on_click=AgentsState.ask(slug, name, False),  # type: ignore[operator]
                ),
                rx.icon_button(
                    rx.icon("archive", size=15),
                    variant="ghost",
                    color_scheme="tomato",
                    aria_label="Archive agent",
                    title="Archive: stops serving, nothing is lost",
                    on_click=AgentsState.ask(slug, name, True),  # type: ignore[operator]
                ),
            ),
            spacing="2",
            justify="end",
        ),
    )


def _agent_row(row: ObjectVar[AgentRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(_name_cell(row)),
        rx.table.cell(rx.text(row["brand"].to(str), size="2")),
        rx.table.cell(
            rx.hstack(rx.foreach(row["envs"].to(list[dict[str, str]]), env_badge), spacing="1", wrap="wrap"),
            class_name="agent-envs",
        ),
        rx.table.cell(rx.badge(row["latest"].to(str), variant="surface", color_scheme="indigo")),
        rx.table.cell(time_text(row["created"].to(str))),
        rx.table.cell(_actions(row), text_align="right"),
        align="center",
        class_name="agent-row",
        opacity=rx.cond(row["archived"].to(bool), "0.6", "1"),
    )


def _table() -> rx.Component:
    headers = ("Agent", "Brand", "Environments (dev · staging · prod)", "Latest", "Created (UTC)", "")
    return rx.card(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(
                rx.cond(
                    AgentsState.agents.length() > 0,
                    rx.foreach(AgentsState.agents, _agent_row),
                    empty_row(COLUMNS, "No agents yet. Start from a template: it comes with a full prompt."),
                )
            ),
            variant="ghost",
            size="2",
            width="100%",
        ),
        rx.cond(
            AgentsState.next_cursor != "",
            rx.center(rx.button("Load more", variant="soft", on_click=AgentsState.load_more), padding_top="1rem"),
        ),
        size="2",
        width="100%",
    )


def _confirm() -> rx.Component:
    archive = AgentsState.pending_archive
    return confirm_dialog(
        AgentsState.confirm_open,
        rx.cond(archive, "Archive this agent?", "Restore this agent?"),
        rx.cond(
            archive,
            rx.text(
                rx.text.strong(AgentsState.pending_name),
                " stops serving in every environment. Versions, deployments and analytics are kept.",
            ),
            rx.text(rx.text.strong(AgentsState.pending_name), " serves its deployments again."),
        ),
        rx.cond(archive, "Archive", "Restore"),
        AgentsState.confirm,
        AgentsState.cancel,
        color_scheme=rx.cond(archive, "tomato", "indigo"),
    )


@template(
    route=routes.AGENTS,
    title="Agents",
    description="Agents of this tenant: environments, versions, rollouts.",
    on_load=AgentsState.load,
)
def agents() -> rx.Component:
    """Toolbar, the agent table and the wizard / clone / confirm dialogs."""
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.heading("Agents", size="4"),
                rx.text(
                    "What each environment runs now. Amber badges are rollouts in progress.",
                    size="2",
                    color=rx.color("gray", 11),
                ),
                spacing="1",
            ),
            rx.spacer(),
            rx.cond(
                AgentsState.load_error == "",
                rx.hstack(
                    rx.switch(checked=AgentsState.include_archived, on_change=AgentsState.set_include_archived),
                    rx.text("Show archived", size="2"),
                    align="center",
                    spacing="2",
                ),
            ),
            rx.cond(
                AgentsState.can_write,
                rx.button(rx.icon("sparkles", size=14), "New from template", on_click=AgentCreateState.open_wizard),
            ),
            align="end",
            spacing="4",
            width="100%",
        ),
        rx.cond(
            AgentsState.rolling_count > 0,
            rx.callout(
                AgentsState.rolling_count.to_string() + " agent(s) are rolling out a new version right now.",
                icon="loader",
                color_scheme="amber",
                width="100%",
            ),
        ),
        rx.cond(
            AgentsState.load_error != "",
            rx.callout(AgentsState.load_error, icon="lock", color_scheme="amber", width="100%"),
            rx.cond(AgentsState.loaded, _table(), rx.skeleton(rx.card(height="12rem", width="100%"))),
        ),
        wizard(),
        clone_dialog(),
        _confirm(),
        spacing="4",
        width="100%",
    )
