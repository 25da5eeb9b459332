"""The agents page's dialogs that make agents: the three-step template wizard and the clone dialog."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from va_app.console.components.agents import labelled
from va_app.console.components.panels import error_callout
from va_app.console.states.agent_create import VAR_PREFIX, AgentCreateState, TemplateCard, VariableField


def _template_card(card: ObjectVar[TemplateCard]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(card["name"].to(str), size="3", weight="bold"),
                rx.spacer(),
                rx.badge(card["category"].to(str), variant="soft", color_scheme="gray"),
                width="100%",
            ),
            rx.text(card["description"].to(str), size="2", color=rx.color("gray", 11)),
            rx.hstack(
                rx.text("Channels: " + card["channels"].to(str), size="1", color=rx.color("gray", 10)),
                rx.cond(
                    card["variant_count"].to(int) > 0,
                    rx.badge(card["variant_count"].to_string() + " brand variants", variant="surface", size="1"),
                ),
                spacing="2",
                align="center",
            ),
            spacing="2",
        ),
        cursor="pointer",
        _hover={"border_color": rx.color("accent", 8), "background": rx.color("accent", 2)},
        on_click=AgentCreateState.choose(card["id"].to(str)),  # type: ignore[operator]
        class_name="template-card",
        width="100%",
    )


def _variable_input(var: ObjectVar[VariableField]) -> rx.Component:
    return labelled(
        var["label"].to(str),  # type: ignore[arg-type]
        rx.input(name=VAR_PREFIX + var["name"].to(str), placeholder=var["default"].to(str), width="100%"),
    )


def _step_details() -> rx.Component:
    s = AgentCreateState
    return rx.form(
        rx.vstack(
            rx.grid(
                labelled("Slug", rx.input(name="slug", placeholder="e.g. aurelia-paris", width="100%", required=True)),
                labelled("Display name", rx.input(name="name", placeholder=s.template_name, width="100%")),
                labelled("Brand", rx.input(name="brand", placeholder="e.g. aurelia", width="100%")),
                rx.cond(
                    s.variants.length() > 0,
                    labelled(
                        "Brand voice",
                        rx.select.root(
                            rx.select.trigger(width="100%"),
                            rx.select.content(
                                rx.foreach(s.variants, lambda v: rx.select.item(v["label"], value=v["value"]))
                            ),
                            value=s.variant,
                            on_change=s.set_variant,
                        ),
                    ),
                ),
                columns="2",
                spacing="3",
                width="100%",
            ),
            rx.text("Template variables (empty: the default shown)", size="2", weight="bold"),
            rx.grid(rx.foreach(s.variables, _variable_input), columns="2", spacing="3", width="100%"),
            error_callout(s.wizard_error),
            rx.hstack(
                rx.button("Back", type="button", variant="soft", color_scheme="gray", on_click=s.back),
                rx.button("Preview version 1", rx.icon("arrow-right", size=14), type="submit"),
                justify="end",
                spacing="3",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=s.preview,
        width="100%",
    )


def _step_preview() -> rx.Component:
    s = AgentCreateState
    return rx.vstack(
        labelled("Greeting", rx.blockquote(s.preview_greeting, size="2")),
        labelled(
            "System prompt",
            rx.scroll_area(
                rx.el.pre(s.preview_prompt, style={"white_space": "pre-wrap", "font_size": "12px", "margin": 0}),
                type="auto",
                scrollbars="vertical",
                max_height="18rem",
                padding="0.75rem",
                background=rx.color("gray", 2),
                border_radius="var(--radius-2)",
                class_name="template-preview",
            ),
        ),
        error_callout(s.wizard_error),
        rx.hstack(
            rx.button("Back", type="button", variant="soft", color_scheme="gray", on_click=s.back),
            rx.button(rx.icon("sparkles", size=14), "Create agent", loading=s.creating, on_click=s.create),
            justify="end",
            spacing="3",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def wizard() -> rx.Component:
    """Pick a template, fill the brand details, read version 1, create."""
    s = AgentCreateState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("New agent from a template"),
            rx.dialog.description(
                rx.match(
                    s.step,
                    (1, "Step 1 of 3 · Pick a starting point. Every template has a full prompt and guardrails."),
                    (2, "Step 2 of 3 · " + s.template_name + ": name it and fill in the brand details."),
                    "Step 3 of 3 · Read version 1 before it is created. You can change it later as v2.",
                ),
                size="2",
                margin_bottom="1rem",
            ),
            rx.match(
                s.step,
                (1, rx.grid(rx.foreach(s.templates, _template_card), columns="2", spacing="3", width="100%")),
                (2, _step_details()),
                _step_preview(),
            ),
            max_width="46rem",
        ),
        open=s.wizard_open,
        on_open_change=s.set_wizard_open,
    )


def clone_dialog() -> rx.Component:
    """Copy one version of an agent into a new agent."""
    s = AgentCreateState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Clone ", s.clone_source_name),
            rx.dialog.description(
                "A new agent with a copy of one version as its v1; knowledge bases stay shared in this tenant.",
                size="2",
                margin_bottom="1rem",
            ),
            rx.form(
                rx.vstack(
                    rx.grid(
                        labelled("New slug", rx.input(name="slug", placeholder="e.g. northstar-berlin", width="100%")),
                        labelled("Display name", rx.input(name="name", placeholder=s.clone_source_name, width="100%")),
                        labelled("Brand", rx.input(name="brand", placeholder="same as the source", width="100%")),
                        labelled("Version to copy", rx.input(name="version", placeholder="latest", width="100%")),
                        columns="2",
                        spacing="3",
                        width="100%",
                    ),
                    error_callout(s.clone_error),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button(rx.icon("copy", size=14), "Clone", type="submit"),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=s.clone,
                width="100%",
            ),
            max_width="34rem",
        ),
        open=s.clone_open,
        on_open_change=s.set_clone_open,
    )
