"""One knowledge base: upload documents and watch them get embedded, list them, search them."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from va_app.console import routes
from va_app.console.components.agents import doc_status_badge, stat
from va_app.console.components.panels import data_table, section_card, time_text
from va_app.console.states.knowledge_base import UPLOAD_ID, DocRow, Hit, KnowledgeBaseState
from va_app.console.template import template

S = KnowledgeBaseState


def _header() -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.link(
                rx.hstack(rx.icon("arrow-left", size=14), rx.text("Knowledge", size="2"), align="center", spacing="1"),
                href=routes.KNOWLEDGE,
                color=rx.color("gray", 11),
            ),
            rx.heading(S.name, size="6", class_name="kb-name"),
            rx.text(S.description, size="2", color=rx.color("gray", 11)),
            spacing="1",
        ),
        rx.spacer(),
        rx.hstack(
            stat("Status", S.status, "kb-status"),
            stat("Documents", S.documents.length().to_string()),
            stat("Chunks", S.chunk_count.to_string()),
            stat("Model", S.model),
            spacing="5",
        ),
        align="end",
        width="100%",
    )


def _upload() -> rx.Component:
    chosen = rx.selected_files(UPLOAD_ID)
    return section_card(
        "Upload",
        "Files are checked and chunked at once; embedding runs in the background for large files.",
        "upload",
        rx.upload(
            rx.vstack(
                rx.icon("file-up", size=26, color=rx.color("accent", 10)),
                rx.text("Drop a file here, or click to choose", size="2", weight="medium"),
                rx.text(S.accepted, size="1", color=rx.color("gray", 10)),
                align="center",
                spacing="1",
            ),
            id=UPLOAD_ID,
            multiple=True,
            max_files=10,
            border=f"1px dashed {rx.color('accent', 7)}",
            border_radius="var(--radius-3)",
            background=rx.color("accent", 2),
            padding="1.5rem",
            width="100%",
            cursor="pointer",
            class_name="kb-dropzone",
        ),
        rx.hstack(
            rx.foreach(chosen, lambda name: rx.badge(rx.icon("file", size=12), name, variant="surface")),
            rx.spacer(),
            rx.cond(
                chosen.length() > 0,  # type: ignore[attr-defined]
                rx.button("Clear", variant="soft", color_scheme="gray", on_click=rx.clear_selected_files(UPLOAD_ID)),
            ),
            rx.button(
                rx.icon("upload", size=14),
                "Upload",
                loading=S.uploading,
                disabled=chosen.length() == 0,  # type: ignore[attr-defined]
                on_click=S.upload(  # type: ignore[operator]
                    rx.upload_files(
                        upload_id=UPLOAD_ID,
                        on_upload_progress=S.set_upload_progress,  # type: ignore[arg-type]
                    )
                ),
                class_name="upload-button",
            ),
            align="center",
            spacing="2",
            width="100%",
            wrap="wrap",
        ),
        rx.cond(
            S.uploading,
            rx.vstack(
                rx.progress(value=S.upload_progress, max=100, size="2"),
                rx.text(
                    rx.cond(S.upload_progress < 100, "Sending … ", "Checking and chunking … "),
                    S.upload_progress.to_string() + "%",
                    size="1",
                    color=rx.color("gray", 10),
                ),
                spacing="1",
                width="100%",
            ),
        ),
        rx.cond(
            S.upload_error != "",
            rx.callout(S.upload_error, icon="circle-alert", color_scheme="tomato", size="1", class_name="upload-error"),
        ),
    )


def _doc_row(row: ObjectVar[DocRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(row["filename"].to(str), size="2", weight="medium", class_name="doc-name"),
                rx.cond(
                    row["error"].to(str) != "",
                    rx.text(row["error"].to(str), size="1", color=rx.color("tomato", 11)),
                ),
                spacing="0",
            )
        ),
        rx.table.cell(rx.badge(row["kind"].to(str), variant="outline", color_scheme="gray")),
        rx.table.cell(rx.text(row["size"].to(str), size="2")),
        rx.table.cell(doc_status_badge(row["status"].to(str), row["progress"].to(int))),
        rx.table.cell(rx.text(row["chunks"].to_string(), size="2")),
        rx.table.cell(time_text(row["uploaded"].to(str))),
        rx.table.cell(
            rx.cond(
                S.can_write,
                rx.icon_button(
                    rx.icon("trash-2", size=15),
                    variant="ghost",
                    color_scheme="tomato",
                    aria_label="Delete document",
                    on_click=S.remove(row["id"].to(str), row["filename"].to(str)),  # type: ignore[operator]
                ),
            ),
            text_align="right",
        ),
        align="center",
        class_name="doc-row",
    )


def _documents() -> rx.Component:
    headers = ("File", "Type", "Size", "Status", "Chunks", "Uploaded (UTC)", "")
    return section_card(
        "Documents",
        "Status goes pending → processing → ready (or failed, with the reason).",
        "files",
        rx.cond(
            S.watching,
            rx.text(
                rx.icon("refresh-cw", size=12),
                " Watching ",
                S.busy_count.to_string(),
                " document(s) being embedded …",
                size="1",
                color=rx.color("amber", 11),
            ),
        ),
        data_table(
            headers,
            S.documents,
            _doc_row,
            "No documents yet: upload a .txt, .md, .html, .pdf or FAQ .csv.",
            variant="ghost",
            size="2",
        ),
    )


def _hit(hit: ObjectVar[Hit]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge("#" + hit["rank"].to_string(), variant="surface"),
                rx.badge("score " + hit["score"].to(str), color_scheme="grass", variant="soft", class_name="hit-score"),
                rx.progress(value=hit["score_pct"].to(int), max=100, width="6rem", size="1", color_scheme="grass"),
                rx.spacer(),
                rx.text(
                    hit["filename"].to(str) + " · chunk " + hit["position"].to_string(),
                    size="1",
                    color=rx.color("gray", 10),
                ),
                align="center",
                width="100%",
            ),
            rx.text(hit["content"].to(str), size="2", white_space="pre-wrap", class_name="hit-content"),
            spacing="2",
            width="100%",
        ),
        size="1",
        width="100%",
        class_name="search-hit",
    )


def _search() -> rx.Component:
    return section_card(
        "Search",
        "The chunks closest in meaning to a question, with cosine similarity (1 = identical).",
        "search",
        rx.form(
            rx.hstack(
                rx.input(
                    name="query",
                    placeholder="e.g. When is check-out?",
                    width="100%",
                    class_name="search-input",
                ),
                rx.select(["3", "5", "10", "20"], value=S.k, on_change=S.set_k, size="2"),
                rx.button(rx.icon("search", size=14), "Search", type="submit"),
                spacing="2",
                width="100%",
            ),
            on_submit=S.run_search,
            width="100%",
        ),
        rx.cond(S.search_note != "", rx.text(S.search_note, size="1", color=rx.color("gray", 10))),
        rx.cond(
            S.hits.length() > 0,
            rx.vstack(rx.foreach(S.hits, _hit), spacing="2", width="100%"),
            rx.cond(S.searched, rx.text("Nothing found: is a document ready?", size="2", color=rx.color("gray", 10))),
        ),
    )


@template(
    route=routes.KNOWLEDGE_BASE,
    title="Knowledge base",
    description="Documents and search of one knowledge base.",
    on_load=KnowledgeBaseState.load,
)
def knowledge_base() -> rx.Component:
    """Header, upload, the document list and the search box."""
    return rx.cond(
        S.load_error != "",
        rx.callout(S.load_error, icon="circle-alert", color_scheme="amber", width="100%"),
        rx.cond(
            S.loaded,
            rx.vstack(
                _header(),
                rx.cond(S.can_write, _upload()),
                _documents(),
                _search(),
                spacing="4",
                width="100%",
            ),
            rx.skeleton(rx.card(height="20rem", width="100%")),
        ),
    )
