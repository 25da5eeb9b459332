"""Widgets of the agent and knowledge pages: environment badges, status badges, diff views.

They take Vars of rows (``EnvCell``, ``DiffField`` …) and know nothing of any one state.
Colours follow the identity pages: grass for serving/ready, amber for in progress, gray for
nothing/archived, tomato for failures.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

DOC_STATUS_COLORS = {"ready": "grass", "pending": "amber", "processing": "amber", "failed": "tomato"}


def labelled(label: str | rx.Var[str], control: rx.Component, hint: str | None = None) -> rx.Component:
    """A form field: label above, optional hint below (same look as the API keys dialog)."""
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        control,
        rx.text(hint, size="1", color=rx.color("gray", 10)) if hint else rx.fragment(),
        spacing="1",
        width="100%",
    )


def env_badge(cell: ObjectVar) -> rx.Component:
    """``dev v3``, ``prod v1 → v2 25%`` (amber, spinning icon) or ``staging —``; the tooltip explains."""
    label = cell["short"].to(str) + " " + cell["label"].to(str)
    return rx.tooltip(
        rx.cond(
            cell["rolling"].to(bool),
            rx.badge(
                rx.icon("loader", size=12), label, color_scheme="amber", variant="soft", class_name="env-badge rolling"
            ),
            rx.cond(
                cell["deployed"].to(bool),
                rx.badge(label, color_scheme="grass", variant="soft", class_name="env-badge"),
                rx.badge(label, color_scheme="gray", variant="outline", class_name="env-badge"),
            ),
        ),
        content=cell["detail"].to(str),
    )


def doc_status_badge(status: rx.Var[str], progress: rx.Var[int]) -> rx.Component:
    """A document's status; while embedding, its progress as a bar next to it."""
    return rx.hstack(
        rx.match(
            status,
            *[
                (name, rx.badge(name, color_scheme=color, variant="soft", class_name="doc-status"))
                for name, color in DOC_STATUS_COLORS.items()
            ],
            rx.badge(status, color_scheme="gray", variant="soft", class_name="doc-status"),
        ),
        rx.cond(
            (status == "processing") | (status == "pending"),
            rx.hstack(
                rx.progress(value=progress, max=100, width="6rem", size="1", color_scheme="amber"),
                rx.text(progress.to_string() + "%", size="1", color=rx.color("gray", 10)),
                align="center",
                spacing="2",
            ),
        ),
        align="center",
        spacing="2",
    )


def _mono(**props: Any) -> dict[str, Any]:
    return {
        "font_family": "var(--code-font-family)",
        "font_size": "12px",
        "white_space": "pre-wrap",
        "word_break": "break-word",
        "padding": "1px 8px",
        "line_height": "1.55",
        **props,
    }


def _line_bg(kind: rx.Var[str]) -> Any:
    return rx.match(
        kind,
        ("add", rx.color("grass", 3)),
        ("del", rx.color("tomato", 3)),
        ("hunk", rx.color("blue", 2)),
        ("gap", rx.color("gray", 3)),
        ("empty", rx.color("gray", 2)),
        "transparent",
    )


def _line_fg(kind: rx.Var[str]) -> Any:
    return rx.match(
        kind,
        ("add", rx.color("grass", 12)),
        ("del", rx.color("tomato", 12)),
        ("hunk", rx.color("blue", 11)),
        ("gap", rx.color("gray", 10)),
        rx.color("gray", 12),
    )


def _unified_line(line: ObjectVar) -> rx.Component:
    kind = line["kind"].to(str)
    return rx.el.div(
        line["text"].to(str),
        style=_mono(background=_line_bg(kind), color=_line_fg(kind)),
        class_name=f"diff-line diff-{kind}",
    )


def _side_cell(text: rx.Var[str], kind: rx.Var[str]) -> rx.Component:
    return rx.el.div(
        text,
        style=_mono(background=_line_bg(kind), color=_line_fg(kind), min_height="1.55em"),
        class_name=f"diff-cell diff-{kind}",
    )


def _side_row(row: ObjectVar) -> rx.Component:
    return rx.fragment(
        _side_cell(row["left"].to(str), row["left_kind"].to(str)),
        _side_cell(row["right"].to(str), row["right_kind"].to(str)),
    )


def diff_field(change: ObjectVar, mode: rx.Var[str], left_title: rx.Var[str], right_title: rx.Var[str]) -> rx.Component:
    """One changed field, unified or side by side, with additions green and removals red."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(change["label"].to(str), variant="surface", size="2"),
                rx.code(change["field"].to(str), variant="ghost", size="1", color_scheme="gray"),
                align="center",
                spacing="2",
            ),
            rx.cond(
                mode == "unified",
                rx.box(
                    rx.foreach(change["unified"].to(list[dict[str, str]]), _unified_line),
                    width="100%",
                    border=f"1px solid {rx.color('gray', 5)}",
                    border_radius="var(--radius-2)",
                    overflow="hidden",
                ),
                rx.grid(
                    rx.text(left_title, size="1", weight="bold", color=rx.color("gray", 11), padding_x="8px"),
                    rx.text(right_title, size="1", weight="bold", color=rx.color("gray", 11), padding_x="8px"),
                    rx.foreach(change["side"].to(list[dict[str, str]]), _side_row),
                    columns="2",
                    column_gap="2px",
                    width="100%",
                    border=f"1px solid {rx.color('gray', 5)}",
                    border_radius="var(--radius-2)",
                    overflow="hidden",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        size="2",
        width="100%",
        class_name="diff-field",
    )


def stat(label: str, value: rx.Var | str, class_name: str = "") -> rx.Component:
    """A small label/value pair for headers and cards."""
    return rx.vstack(
        rx.text(label, size="1", color=rx.color("gray", 10), weight="medium"),
        rx.text(value, size="2", weight="medium", class_name=class_name),
        spacing="0",
        min_width="0",
    )
