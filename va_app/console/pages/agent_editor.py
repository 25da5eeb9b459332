"""Version editor: change what an agent says and may do, then publish it as a new version."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from va_app.console import routes
from va_app.console.components.agents import labelled
from va_app.console.components.panels import error_callout, section_card
from va_app.console.states.agent_editor import AgentEditorState, KbOption
from va_app.console.template import template

E = AgentEditorState


def _text_area(name: str, rows: str, placeholder: str = "") -> rx.Component:
    return rx.text_area(
        name=name,
        default_value=E.values[name],  # type: ignore[call-overload]
        rows=rows,
        placeholder=placeholder,
        width="100%",
        style={"font_family": "var(--code-font-family)", "font_size": "13px"},
    )


def _input(name: str, placeholder: str = "", **props: str) -> rx.Component:
    value = E.values[name]  # type: ignore[call-overload]
    return rx.input(name=name, default_value=value, placeholder=placeholder, width="100%", **props)


def _kb_option(kb: ObjectVar[KbOption]) -> rx.Component:
    kb_id = kb["id"].to(str)
    return rx.hstack(
        rx.checkbox(
            checked=E.selected_kbs.contains(kb_id),
            on_change=lambda checked: E.toggle_kb(kb_id, checked),  # type: ignore[operator]
        ),
        rx.vstack(
            rx.text(kb["name"].to(str), size="2", weight="medium"),
            rx.text(kb["detail"].to(str), size="1", color=rx.color("gray", 10)),
            spacing="0",
        ),
        align="center",
        spacing="2",
        class_name="kb-option",
    )


def _behaviour() -> rx.Component:
    return section_card(
        "Behaviour",
        "What the agent is told, and the first thing it says.",
        "message-square-text",
        labelled("System prompt", _text_area("system_prompt", "14")),
        labelled("Greeting", _text_area("greeting", "2")),
    )


def _model() -> rx.Component:
    return section_card(
        "Model policy",
        "The router picks the cheapest model of the tier among the allowed ones.",
        "cpu",
        rx.grid(
            labelled("Quality tier", rx.select(E.tiers, value=E.quality_tier, on_change=E.set_quality_tier)),
            labelled(
                "Allowed models",
                _input("allowed_models", "empty: any model of the tier"),
                "Comma-separated, e.g. gpt-4o-mini, claude-3-5-haiku",
            ),
            labelled("Max cost per conversation (USD)", _input("max_cost", "no limit", type="number", step="0.01")),
            labelled(
                "Temperature " + E.temperature.to_string(),
                rx.slider(
                    value=[E.temperature],
                    min=0,
                    max=2,
                    step=0.05,
                    on_change=E.set_temperature,
                    width="100%",
                ),
                "0 answers the same way each time; higher is more varied.",
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
    )


def _knowledge() -> rx.Component:
    return section_card(
        "Knowledge bases",
        "Answers are grounded in the chosen bases.",
        "library",
        rx.cond(
            E.kb_options.length() > 0,
            rx.grid(rx.foreach(E.kb_options, _kb_option), columns=rx.breakpoints(initial="1", md="3"), spacing="3"),
            rx.text(
                "No knowledge bases in this tenant yet. ",
                rx.link("Create one", href=routes.KNOWLEDGE),
                ", then come back.",
                size="2",
                color=rx.color("gray", 10),
            ),
        ),
    )


def _guardrails() -> rx.Component:
    return section_card(
        "Guardrails and handoff",
        "Topics the agent refuses, personal data masking, and when a person takes over.",
        "shield",
        rx.grid(
            labelled("Blocked topics", _input("blocked_topics", "e.g. politics, medical advice"), "Comma-separated."),
            labelled(
                "Mask personal data (PII)",
                rx.hstack(
                    rx.switch(checked=E.pii_masking, on_change=E.set_pii_masking, class_name="pii-switch"),
                    rx.text(rx.cond(E.pii_masking, "on", "off"), size="2"),
                    align="center",
                    spacing="2",
                ),
                "Emails, phone and card numbers are masked before logging and before the model.",
            ),
            labelled(
                "Semantic answer cache",
                rx.select(
                    ["auto", "on", "off"],
                    value=E.semantic_cache,
                    on_change=E.set_semantic_cache,
                    size="2",
                    id="semantic-cache",
                ),
                "Reuse an answer for a question that means the same (same numbers, dates, names, negation). "
                "auto: only for agents with knowledge; on: also without knowledge.",
            ),
            labelled(
                "Hand off to a person",
                rx.hstack(
                    rx.switch(checked=E.handoff_enabled, on_change=E.set_handoff_enabled),
                    rx.text(rx.cond(E.handoff_enabled, "enabled", "disabled"), size="2"),
                    align="center",
                    spacing="2",
                ),
            ),
            labelled("Target queue", _input("target_queue", "support")),
            labelled("On intents", _input("on_intents", "e.g. complaint, billing_dispute")),
            labelled("On keywords", _input("on_keywords", "e.g. human, agent, manager")),
            labelled("After failed turns", _input("max_failed_turns", "e.g. 2", type="number")),
            labelled("Below confidence", _input("min_confidence", "e.g. 0.4", type="number", step="0.05")),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        labelled("Handoff message", _input("handoff_message")),
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            _behaviour(),
            _model(),
            _knowledge(),
            _guardrails(),
            section_card(
                "Publish",
                "Versions are never edited: this creates the next version. Deploying it is a separate step.",
                "send",
                labelled(
                    "Change note",
                    rx.input(name="change_note", placeholder="e.g. shorter answers, mention the spa", width="100%"),
                ),
                error_callout(E.form_error),
                rx.hstack(
                    rx.link(rx.button("Cancel", variant="soft", color_scheme="gray", type="button"), href=E.back_href),
                    rx.button(rx.icon("send", size=14), "Publish new version", type="submit", loading=E.publishing),
                    justify="end",
                    spacing="3",
                    width="100%",
                ),
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=E.publish,
        key=E.form_key,  # a new base version remounts the inputs with its values
        width="100%",
    )


@template(
    route=routes.AGENT_NEW_VERSION,
    title="New version",
    description="Publish a new version of an agent.",
    on_load=AgentEditorState.load,
)
def agent_editor() -> rx.Component:
    """Which version this starts from, then the form."""
    return rx.cond(
        E.load_error != "",
        rx.callout(E.load_error, icon="circle-alert", color_scheme="amber", width="100%"),
        rx.cond(
            E.loaded,
            rx.vstack(
                rx.hstack(
                    rx.link(
                        rx.hstack(rx.icon("arrow-left", size=14), rx.text(E.agent_name, size="2"), spacing="1"),
                        href=E.back_href,
                        color=rx.color("gray", 11),
                    ),
                    rx.spacer(),
                    rx.badge(
                        "starting from v" + E.base_version.to_string(),
                        color_scheme="indigo",
                        variant="soft",
                        size="2",
                        class_name="editor-base",
                    ),
                    width="100%",
                    align="center",
                ),
                _form(),
                spacing="4",
                width="100%",
            ),
            rx.skeleton(rx.card(height="30rem", width="100%")),
        ),
    )
