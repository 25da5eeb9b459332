"""The versions tab of an agent: the immutable versions and a highlighted diff between two."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from va_app.console.components.agents import diff_field
from va_app.console.components.panels import data_table, section_card
from va_app.console.states.agent_versions import AgentVersionsState, VersionRow


def _version_row(row: ObjectVar[VersionRow]) -> rx.Component:
    s = AgentVersionsState
    number = row["number"].to(int)
    return rx.table.row(
        rx.table.cell(rx.badge(row["label"].to(str), variant="surface", color_scheme="indigo", size="2")),
        rx.table.cell(rx.text(row["change_note"].to(str), size="2", class_name="version-note")),
        rx.table.cell(rx.badge(row["tier"].to(str), variant="soft", color_scheme="gray")),
        rx.table.cell(rx.text(row["temperature"].to(str), size="2")),
        rx.table.cell(rx.text(row["knowledge_bases"].to_string(), size="2")),
        rx.table.cell(rx.text(row["created"].to(str), size="2", white_space="nowrap")),
        rx.table.cell(
            rx.hstack(
                rx.cond(
                    number > 1,
                    rx.button(
                        rx.icon("git-compare", size=14),
                        "Diff",
                        size="1",
                        variant="soft",
                        on_click=s.compare(number),  # type: ignore[operator]
                    ),
                ),
                rx.cond(
                    s.can_write,
                    rx.link(
                        rx.button(rx.icon("pencil", size=14), "Start from this", size="1", variant="ghost"),
                        href="/agents/" + s.slug + "/versions/new?from=" + number.to_string(),
                    ),
                ),
                spacing="2",
                justify="end",
            ),
            text_align="right",
        ),
        align="center",
        class_name="version-row",
    )


def _versions_table() -> rx.Component:
    headers = ("Version", "Change note", "Tier", "Temp.", "KBs", "Created (UTC)", "")
    return rx.card(
        data_table(headers, AgentVersionsState.versions, _version_row, "No versions yet.", variant="ghost", size="2"),
        size="2",
        width="100%",
    )


def _diff_card() -> rx.Component:
    s = AgentVersionsState
    return section_card(
        "Compare versions",
        "What changed between two versions, field by field. Removed lines are red, added lines green.",
        "git-compare",
        rx.hstack(
            rx.text("From", size="2"),
            rx.select(s.version_numbers, value=s.diff_from, on_change=s.set_diff_from, size="2"),
            rx.icon("arrow-right", size=14, color=rx.color("gray", 10)),
            rx.text("to", size="2"),
            rx.select(s.version_numbers, value=s.diff_to, on_change=s.set_diff_to, size="2"),
            rx.spacer(),
            rx.segmented_control.root(
                rx.segmented_control.item("Side by side", value="side"),
                rx.segmented_control.item("Unified", value="unified"),
                value=s.diff_mode,
                on_change=s.set_diff_mode,
                size="1",
            ),
            align="center",
            spacing="2",
            width="100%",
        ),
        rx.cond(
            s.diff_error != "",
            rx.callout(s.diff_error, icon="info", color_scheme="gray", width="100%"),
            rx.cond(
                s.diff.length() > 0,
                rx.vstack(
                    rx.foreach(s.diff, lambda c: diff_field(c, s.diff_mode, "v" + s.diff_from, "v" + s.diff_to)),
                    spacing="3",
                    width="100%",
                    class_name="diff-view",
                ),
                rx.text(
                    rx.cond(s.diff_loaded, "These two versions are identical.", "Publish a second version to compare."),
                    size="2",
                    color=rx.color("gray", 10),
                ),
            ),
        ),
    )


def versions_tab() -> rx.Component:
    """The version table, then the diff of the chosen pair."""
    return rx.vstack(_versions_table(), _diff_card(), spacing="4", width="100%")
