"""LLM & budgets: what is left of each budget, whether each model's circuit is closed, and prices."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from va_app import routes
from va_app.components.panels import empty_row, section_card
from va_app.states.llm import BudgetRow, HealthRow, LLMState, ModelRow
from va_app.templates import template

BUDGET_COLUMNS = ("Scope", "Period", "Kind", "Limit", "Spent", "Remaining", "Used", "Resets (UTC)")
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


def _header(columns: tuple[str, ...]) -> rx.Component:
    return rx.table.header(rx.table.row(*[rx.table.column_header_cell(c) for c in columns]))


def _budget(row: ObjectVar[BudgetRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["scope"], size="2")),
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
            rx.table.root(
                _header(BUDGET_COLUMNS),
                rx.table.body(
                    rx.cond(
                        LLMState.budgets.length() > 0,
                        rx.foreach(LLMState.budgets, _budget),
                        empty_row(len(BUDGET_COLUMNS), "No budgets: calls are not limited. Create one with the API."),
                    )
                ),
                width="100%",
            ),
        ),
        section_card(
            "Model health",
            "Circuit breaker per model deployment in this process: open circuits are skipped until a probe succeeds.",
            "heart-pulse",
            rx.table.root(
                _header(HEALTH_COLUMNS),
                rx.table.body(
                    rx.cond(
                        LLMState.health.length() > 0,
                        rx.foreach(LLMState.health, _health),
                        empty_row(len(HEALTH_COLUMNS), "No model deployments."),
                    )
                ),
                width="100%",
            ),
        ),
        section_card(
            "Model catalog",
            "Models this tenant can use, cheapest first, with USD prices per 1 000 tokens.",
            "cpu",
            rx.table.root(
                _header(MODEL_COLUMNS),
                rx.table.body(
                    rx.cond(
                        LLMState.models.length() > 0,
                        rx.foreach(LLMState.models, _model),
                        empty_row(len(MODEL_COLUMNS), "No models available."),
                    )
                ),
                width="100%",
            ),
        ),
        spacing="5",
        width="100%",
    )
