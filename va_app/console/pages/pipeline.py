"""Event pipeline: is ingest keeping up, how fast are events arriving, and what was rejected."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from va_app.console import routes
from va_app.console.components.panels import empty_row, section_card
from va_app.console.states.pipeline import LetterRow, PipelineState, ReasonRow, TopicRow
from va_app.console.template import template

LETTER_COLUMNS = ("Time (UTC)", "Type", "Source", "Reason", "Received")


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


def _topic(row: ObjectVar[TopicRow]) -> rx.Component:
    return rx.badge(
        rx.text(row["topic"]),
        rx.text(row["backlog"].to(str), weight="bold"),
        color_scheme=rx.cond(row["backlog"].to(int) > 10000, "amber", "green"),
        variant="soft",
        size="2",
    )


def _reason(row: ObjectVar[ReasonRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["reason"], size="2")),
        rx.table.cell(rx.text(row["n"].to(str), size="2", weight="bold")),
        rx.table.cell(rx.text(row["last_seen"], size="2", white_space="nowrap")),
    )


def _letter(row: ObjectVar[LetterRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["time"], size="2", white_space="nowrap")),
        rx.table.cell(rx.code(row["type"], variant="soft", size="1")),
        rx.table.cell(rx.text(row["source"], size="2")),
        rx.table.cell(rx.text(row["reason"], size="2")),
        rx.table.cell(rx.code(row["raw"], variant="ghost", size="1", white_space="pre-wrap", word_break="break-all")),
    )


@template(
    route=routes.PIPELINE,
    title="Event pipeline",
    description="Ingest backlog, rate and dead letters",
    on_load=PipelineState.start_refresh,
)
def pipeline_page() -> rx.Component:
    """Backlog per topic, events per minute, dead-letter reasons and the latest rejected events."""
    return rx.vstack(
        rx.cond(PipelineState.error != "", rx.callout(PipelineState.error, icon="triangle-alert", color_scheme="red")),
        rx.grid(
            _stat("Backlog", PipelineState.backlog_total, "messages not yet written, all topics"),
            _stat("Events, last hour", PipelineState.events_last_hour, "stored for this tenant"),
            _stat("Dead letters, 7 days", PipelineState.dead_letters_7d, "rejected with a reason"),
            columns="3",
            spacing="4",
            width="100%",
        ),
        section_card(
            "Ingest workers",
            "Backlog per topic as last reported by the workers (refreshes every 5 s).",
            "activity",
            rx.cond(
                PipelineState.worker_reporting,
                rx.flex(rx.foreach(PipelineState.topics, _topic), spacing="2", wrap="wrap"),
                rx.callout(
                    "No ingest worker has reported in the last 30 s: events are queued on the bus until one runs.",
                    icon="circle-alert",
                    color_scheme="amber",
                ),
            ),
        ),
        section_card(
            "Events per minute",
            "Arrivals in the analytics store over the last hour.",
            "chart-column",
            rx.recharts.bar_chart(
                rx.recharts.bar(data_key="events", fill=rx.color("accent", 9)),
                rx.recharts.x_axis(data_key="minute"),
                rx.recharts.y_axis(),
                rx.recharts.graphing_tooltip(),
                data=PipelineState.rate,
                height=220,
                width="100%",
            ),
        ),
        section_card(
            "Why events were rejected",
            "Dead-letter reasons of the last 7 days, most frequent first.",
            "circle-x",
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Reason"),
                        rx.table.column_header_cell("Count"),
                        rx.table.column_header_cell("Last seen (UTC)"),
                    )
                ),
                rx.table.body(
                    rx.cond(
                        PipelineState.reasons.length() > 0,
                        rx.foreach(PipelineState.reasons, _reason),
                        empty_row(3, "No rejected events in the last 7 days."),
                    )
                ),
                width="100%",
            ),
        ),
        section_card(
            "Latest dead letters",
            "The newest rejected events with what was received (first 300 characters).",
            "inbox",
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(h)
                            for h in ("Time (UTC)", "Type", "Source", "Reason", "Received")
                        ]
                    )
                ),
                rx.table.body(
                    rx.cond(
                        PipelineState.letters.length() > 0,
                        rx.foreach(PipelineState.letters, _letter),
                        empty_row(5, "Nothing rejected."),
                    )
                ),
                width="100%",
            ),
        ),
        spacing="5",
        width="100%",
    )
