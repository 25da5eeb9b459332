"""LLM & budgets: what is left of each budget, whether each model's circuit is closed, and prices.

Roles that may write budgets also get the "Add a budget" form and a delete button per budget
(with a confirmation); the services check the permission again and audit every change.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from va_app.console import routes
from va_app.console.components.agents import labelled
from va_app.console.components.panels import confirm_dialog, data_table, error_callout, section_card
from va_app.console.states.llm import LIMIT_INPUT_ID, BudgetRow, HealthRow, LLMState, ModelRow, Option
from va_app.console.template import template

BUDGET_COLUMNS = ("Scope", "Applies to", "Period", "Kind", "Limit", "Spent", "Remaining", "Used", "Resets (UTC)", "")
HARD_HINT = "Hard: a call that would go over the limit is refused with 429 before any provider is called."
SOFT_HINT = "Soft: calls go through; alerts fire at 50, 80 and 100 % of the limit."
HEALTH_COLUMNS = ("Model", "Provider", "Circuit", "Calls", "Failures", "In a row", "Latency (EWMA)", "Last error")
MODEL_COLUMNS = ("Model", "Provider", "Tier", "$ / 1k prompt", "$ / 1k completion", "Source")


def _stat(label: str, value: rx.Var, hint: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="2", color=rx.color("gray", 11)),
            rx.heading(value, size="7"),
            rx.text(hint, size="1", color=rx.color("gray", 10)),
            spacing="1",
        ),
        size="2",
        width="100%",
    )


def _delete_button(row: ObjectVar[BudgetRow]) -> rx.Component:
    label = row["period"].to(str) + " budget for " + row["target"].to(str)
    return rx.cond(
        LLMState.can_write,
        rx.icon_button(
            rx.icon("trash-2", size=15),
            variant="ghost",
            color_scheme="tomato",
            aria_label="Delete budget",
            title="Delete this budget",
            on_click=LLMState.ask_delete(row["id"].to(str), label),  # type: ignore[operator]
        ),
    )


def _budget(row: ObjectVar[BudgetRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["scope"], size="2")),
        rx.table.cell(rx.text(row["target"], size="2", weight="medium")),
        rx.table.cell(rx.text(row["period"], size="2")),
        rx.table.cell(
            rx.badge(row["kind"], color_scheme=rx.cond(row["kind"] == "hard", "tomato", "gray"), variant="soft")
        ),
        rx.table.cell(rx.text(row["limit"], size="2", weight="bold")),
        rx.table.cell(rx.text(row["spent"], size="2")),
        rx.table.cell(rx.text(row["remaining"], size="2")),
        rx.table.cell(
            rx.hstack(
                rx.progress(value=row["percent"].to(int), color_scheme=row["color"].to(str), width="8rem"),
                rx.text(row["percent_text"], size="1", white_space="nowrap"),
                align="center",
                spacing="2",
            )
        ),
        rx.table.cell(rx.text(row["resets_at"], size="2", white_space="nowrap")),
        rx.table.cell(_delete_button(row), text_align="right"),
        align="center",
        class_name="budget-row",
    )


def _select(options: rx.Var[list[Option]], value: rx.Var[str], on_change: Any, name: str) -> rx.Component:
    """A select of ``Option`` rows: the label shown, the value sent (``budget-<name>`` for tests)."""
    return rx.select.root(
        rx.select.trigger(width="100%", placeholder="Pick one", class_name=f"budget-{name}"),
        rx.select.content(rx.foreach(options, lambda o: rx.select.item(o["label"], value=o["value"]))),
        value=value,
        on_change=on_change,
    )


def _target_field() -> rx.Component:
    """The agent or key a budget of that scope applies to; nothing for the whole tenant."""
    noun = LLMState.target_noun
    return rx.cond(
        noun != "",
        labelled(
            rx.cond(LLMState.form_scope == "agent", "Agent", "API key"),
            rx.cond(
                LLMState.target_options.length() > 0,
                _select(LLMState.target_options, LLMState.form_target, LLMState.set_form_target, "target"),
                rx.text("None in this tenant yet.", size="2", color=rx.color("gray", 10), padding_y="0.4rem"),
            ),
        ),
    )


def _add_form() -> rx.Component:
    return section_card(
        "Add a budget",
        "Limit LLM spend per day or month for the whole tenant, one agent or one API key.",
        "circle-plus",
        rx.form(
            rx.vstack(
                rx.grid(
                    labelled(
                        "Applies to",
                        _select(LLMState.scope_options, LLMState.form_scope, LLMState.set_form_scope, "scope"),
                    ),
                    _target_field(),
                    labelled(
                        "Period",
                        _select(LLMState.period_options, LLMState.form_period, LLMState.set_form_period, "period"),
                    ),
                    labelled(
                        "Limit (USD)",
                        rx.input(
                            id=LIMIT_INPUT_ID,
                            name="limit_usd",
                            type="number",
                            min=0,
                            step=0.01,
                            placeholder="e.g. 5.00",
                            width="100%",
                        ),
                    ),
                    columns="4",
                    spacing="3",
                    width="100%",
                ),
                rx.hstack(
                    rx.switch(checked=LLMState.form_hard, on_change=LLMState.set_form_hard, class_name="budget-hard"),
                    rx.text(rx.cond(LLMState.form_hard, HARD_HINT, SOFT_HINT), size="2", color=rx.color("gray", 11)),
                    align="center",
                    spacing="2",
                ),
                error_callout(LLMState.form_error, "form-error budget-error"),
                rx.hstack(
                    rx.button(rx.icon("plus", size=14), "Add budget", type="submit"), justify="end", width="100%"
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=LLMState.add_budget,
            reset_on_submit=False,
            width="100%",
        ),
        class_name="budget-form",
    )


def _confirm_delete() -> rx.Component:
    return confirm_dialog(
        LLMState.confirm_open,
        "Delete this budget?",
        rx.text(
            "The ",
            rx.text.strong(LLMState.pending_label),
            " is removed at once: calls are no longer limited or alerted by it. This cannot be undone.",
        ),
        "Delete",
        LLMState.confirm_delete,
        LLMState.cancel,
    )


def _circuit(state: rx.Var[str]) -> rx.Component:
    return rx.match(
        state,
        ("closed", rx.badge("closed", color_scheme="green", variant="soft")),
        ("open", rx.badge("open", color_scheme="red", variant="soft")),
        ("half_open", rx.badge("half-open", color_scheme="amber", variant="soft")),
        rx.badge(state, color_scheme="gray", variant="soft"),
    )


def _health(row: ObjectVar[HealthRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(row["model"], variant="soft", size="1")),
        rx.table.cell(rx.text(row["provider"], size="2")),
        rx.table.cell(_circuit(row["state"].to(str))),
        rx.table.cell(rx.text(row["calls"].to(str), size="2")),
        rx.table.cell(rx.text(row["failures"].to(str), size="2")),
        rx.table.cell(rx.text(row["consecutive_failures"].to(str), size="2")),
        rx.table.cell(rx.text(row["latency"], size="2", white_space="nowrap")),
        rx.table.cell(rx.text(row["last_error"], size="1", color=rx.color("gray", 11), word_break="break-word")),
    )


def _model(row: ObjectVar[ModelRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(row["name"], variant="soft", size="1")),
        rx.table.cell(rx.text(row["provider"], size="2")),
        rx.table.cell(rx.badge(row["tier"], variant="outline")),
        rx.table.cell(rx.text(row["prompt_per_1k"], size="2")),
        rx.table.cell(rx.text(row["completion_per_1k"], size="2")),
        rx.table.cell(rx.text(row["source"], size="2", color=rx.color("gray", 11))),
    )


@template(
    route=routes.LLM,
    title="LLM & budgets",
    description="Budget spend, model health and prices",
    on_load=LLMState.start_refresh,
)
def llm_page() -> rx.Component:
    """Spend against every budget, circuit breaker state per model and the tenant's model catalog."""
    return rx.vstack(
        rx.cond(LLMState.error != "", rx.callout(LLMState.error, icon="triangle-alert", color_scheme="red")),
        rx.grid(
            _stat("Budgets", LLMState.budgets.length(), "daily and monthly limits"),
            _stat("Models available", LLMState.models.length(), "for this tenant, with its keys"),
            _stat("Circuits not closed", LLMState.open_circuits, "models skipped by the router"),
            columns="3",
            spacing="4",
            width="100%",
        ),
        section_card(
            "Budgets",
            "Spend in the current period; amber from 50 %, red from 80 % (refreshes every 5 s).",
            "wallet",
            data_table(
                BUDGET_COLUMNS,
                LLMState.budgets,
                _budget,
                rx.cond(
                    LLMState.can_write,
                    "No budgets: calls are not limited. Add one below.",
                    "No budgets: calls are not limited. An admin or owner can add one here.",
                ),
            ),
        ),
        rx.cond(LLMState.can_write, _add_form()),
        section_card(
            "Model health",
            "Circuit breaker per model deployment in this process: open circuits are skipped until a probe succeeds.",
            "heart-pulse",
            data_table(HEALTH_COLUMNS, LLMState.health, _health, "No model deployments."),
        ),
        section_card(
            "Model catalog",
            "Models this tenant can use, cheapest first, with USD prices per 1 000 tokens.",
            "cpu",
            data_table(MODEL_COLUMNS, LLMState.models, _model, "No models available."),
        ),
        _confirm_delete(),
        spacing="5",
        width="100%",
    )
