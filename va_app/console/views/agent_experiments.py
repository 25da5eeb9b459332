"""The experiments tab of an agent: start an A/B split, read results and the verdict, stop it."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from va_app.console.components.agents import labelled
from va_app.console.components.panels import empty_row, error_callout, section_card
from va_app.console.states.agent_experiments import AgentExperimentsState, ExperimentRow, ResultRow, VariantInput
from va_app.domain.agents.resolver import ENVIRONMENTS

EXPERIMENT_STATUS = {"running": "amber", "stopped": "gray"}


def _variant_input(row: ObjectVar[VariantInput], index: rx.Var[int]) -> rx.Component:
    e = AgentExperimentsState
    return rx.hstack(
        rx.text(rx.cond(index == 0, "Control", "Variant"), size="2", width="4.5rem"),
        rx.input(
            value=row["version"].to(str),
            on_change=lambda v: e.set_variant(index, "version", v),  # type: ignore[operator]
            placeholder="version",
            width="6rem",
        ),
        rx.input(
            value=row["percent"].to(str),
            on_change=lambda v: e.set_variant(index, "percent", v),  # type: ignore[operator]
            placeholder="%",
            width="5rem",
        ),
        rx.text("%", size="2"),
        rx.icon_button(
            rx.icon("x", size=14),
            variant="ghost",
            color_scheme="gray",
            type="button",
            aria_label="Remove variant",
            on_click=e.remove_variant(index),  # type: ignore[operator]
        ),
        align="center",
        spacing="2",
    )


def _experiment_dialog() -> rx.Component:
    e = AgentExperimentsState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Start an A/B experiment"),
            rx.dialog.description(
                "Versions share an environment's traffic by a fixed split; the first is the control.",
                size="2",
                margin_bottom="1rem",
            ),
            rx.form(
                rx.vstack(
                    labelled("Name", rx.input(name="name", placeholder="e.g. shorter prompt", width="100%")),
                    labelled("Hypothesis", rx.input(name="hypothesis", placeholder="optional", width="100%")),
                    rx.grid(
                        labelled(
                            "Environment",
                            rx.select(list(ENVIRONMENTS), value=e.exp_env, on_change=e.set_exp_env),
                        ),
                        labelled(
                            "Primary metric",
                            rx.select(e.metric_options, value=e.exp_metric, on_change=e.set_exp_metric),
                        ),
                        columns="2",
                        spacing="3",
                        width="100%",
                    ),
                    rx.text("Variants (shares add up to 100)", size="2", weight="medium"),
                    rx.foreach(e.exp_variants, _variant_input),
                    rx.button(
                        rx.icon("plus", size=14),
                        "Add variant",
                        type="button",
                        size="1",
                        variant="ghost",
                        on_click=e.add_variant,
                    ),
                    error_callout(e.exp_error),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button(rx.icon("flask-conical", size=14), "Start", type="submit"),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=e.start_experiment,
                width="100%",
            ),
            max_width="34rem",
        ),
        open=e.exp_open,
        on_open_change=e.set_exp_open,
    )


def _experiment_row(row: ObjectVar[ExperimentRow]) -> rx.Component:
    status = row["status"].to(str)
    return rx.table.row(
        rx.table.cell(rx.text(row["name"].to(str), size="2", weight="medium")),
        rx.table.cell(rx.badge(row["environment"].to(str), variant="surface", color_scheme="gray")),
        rx.table.cell(rx.text(row["variants"].to(str), size="2")),
        rx.table.cell(rx.text(row["metric"].to(str), size="2")),
        rx.table.cell(
            rx.match(
                status,
                *[(k, rx.badge(k, color_scheme=c, variant="soft")) for k, c in EXPERIMENT_STATUS.items()],
                rx.badge(status, variant="soft"),
            )
        ),
        rx.table.cell(rx.text(row["winner"].to(str), size="2")),
        rx.table.cell(rx.text(row["started"].to(str), size="2", white_space="nowrap")),
        rx.table.cell(
            rx.button(
                "Results",
                size="1",
                variant="soft",
                on_click=AgentExperimentsState.show_results(row["id"].to(str)),  # type: ignore[operator]
            ),
            text_align="right",
        ),
        align="center",
        class_name="experiment-row",
    )


def _result_row(row: ObjectVar[ResultRow]) -> rx.Component:
    return rx.table.row(
        *[
            rx.table.cell(rx.text(row[key].to(str), size="2"))
            for key in ("version", "share", "events", "automation", "errors", "handoffs", "latency", "csat")
        ],
        rx.table.cell(
            rx.hstack(
                rx.text(row["p_value"].to(str), size="2"),
                rx.cond(row["significant"].to(bool), rx.badge("significant", color_scheme="grass", variant="soft")),
                spacing="2",
            )
        ),
        align="center",
    )


def _results() -> rx.Component:
    e = AgentExperimentsState
    headers = ("Version", "Share", "Turns", "Automation", "Errors", "Handoffs", "Latency", "CSAT", "p-value")
    return rx.cond(
        e.results_id != "",
        section_card(
            "Results · " + e.results_name,  # type: ignore[arg-type]
            "Per variant since the start; the control is compared with each other variant.",
            "chart-column",
            rx.callout(
                e.verdict,
                icon="scale",
                color_scheme=rx.cond(e.winner > 0, "grass", "blue"),
                width="100%",
                class_name="verdict",
            ),
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
                rx.table.body(rx.foreach(e.results, _result_row)),
                variant="ghost",
                size="1",
                width="100%",
            ),
            rx.text(e.results_note, size="1", color=rx.color("gray", 10)),
            rx.cond(
                (e.results_status == "running") & e.can_deploy,
                rx.hstack(
                    rx.button("Stop", variant="soft", color_scheme="gray", on_click=e.stop(False)),  # type: ignore[operator]
                    rx.tooltip(
                        rx.box(
                            rx.button(
                                rx.icon("trophy", size=14),
                                "Stop & promote winner",
                                disabled=e.winner == 0,
                                on_click=e.stop(True),  # type: ignore[operator]
                            ),
                            display="inline-block",
                        ),
                        content=rx.cond(
                            e.winner > 0,
                            "Deploy v" + e.winner.to_string() + " to the whole environment.",
                            "No significant winner yet.",
                        ),
                    ),
                    spacing="2",
                ),
            ),
        ),
    )


def experiments_tab() -> rx.Component:
    """Experiments table, the results of the chosen one and the start dialog."""
    e = AgentExperimentsState
    headers = ("Name", "Environment", "Variants", "Primary metric", "Status", "Winner", "Started (UTC)", "")
    return rx.vstack(
        rx.hstack(
            rx.text(
                "Split an environment between versions and let the numbers pick one.",
                size="2",
                color=rx.color("gray", 11),
            ),
            rx.spacer(),
            rx.cond(
                e.can_deploy & ~e.archived & (e.latest_version > 1),
                rx.button(rx.icon("flask-conical", size=14), "Start experiment", on_click=e.open_experiment),
            ),
            width="100%",
            align="center",
        ),
        rx.card(
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
                rx.table.body(
                    rx.cond(
                        e.experiments.length() > 0,
                        rx.foreach(e.experiments, _experiment_row),
                        empty_row(
                            len(headers), "No experiments yet. They need two versions that passed the promotion gate."
                        ),
                    )
                ),
                variant="ghost",
                size="2",
                width="100%",
            ),
            size="2",
            width="100%",
        ),
        _results(),
        _experiment_dialog(),
        spacing="4",
        width="100%",
    )
