"""PDF and HTML reports: a title, the written summary, one chart per metric, the table.

PDF: fpdf2 with charts drawn from its own vector primitives (lines, rectangles). This was
chosen over plotly static images because kaleido needs a Chrome it cannot download here,
and over matplotlib to keep a heavy dependency out for a few simple line/bar charts; the
result is a small, crisp, fully offline PDF.
HTML: the same content with interactive plotly charts and plotly.js inlined once, so the
file opens without internet (it is ~5 MB because of that; use PDF for email).
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import plotly.graph_objects as go
import polars as pl
from fpdf import FPDF

from va_app.domain.reports.narrative import fmt

MAX_CHARTS = 6
MAX_TABLE_ROWS = 40
PALETTE = ((59, 130, 246), (16, 185, 129), (245, 158, 11), (239, 68, 68), (139, 92, 246))


def _series(frame: pl.DataFrame, metric: str, dimension: str | None) -> dict[str, tuple[list[Any], list[float]]]:
    """Per line: x (buckets) and y; with a dimension the five largest values get a line each."""
    if frame.is_empty():
        return {}
    clean = frame.with_columns(pl.col(metric).cast(pl.Float64).fill_null(0.0))
    if not dimension:
        return {metric: (clean["bucket"].to_list(), clean[metric].to_list())}
    top = clean.group_by(dimension).agg(pl.col(metric).sum()).sort(metric, descending=True).head(5)[dimension]
    return {
        str(value): (part["bucket"].to_list(), part[metric].to_list())
        for value in top.to_list()
        for part in [clean.filter(pl.col(dimension) == value).sort("bucket")]
    }


def _pdf_chart(pdf: FPDF, title: str, lines: dict[str, tuple[list[Any], list[float]]]) -> None:
    x0, y0, w, h = pdf.l_margin, pdf.get_y() + 6, pdf.epw, 48
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, title)
    pdf.set_draw_color(200, 200, 200)
    pdf.rect(x0, y0, w, h)
    values = [v for _, ys in lines.values() for v in ys]
    top = max(values) if values else 0.0
    top = top or 1.0
    pdf.set_font("Helvetica", "", 7)
    pdf.text(x0 + 1, y0 + 3, fmt(title, top))
    for i, (name, (_, ys)) in enumerate(lines.items()):
        pdf.set_draw_color(*PALETTE[i % len(PALETTE)])
        pdf.set_line_width(0.5)
        n = len(ys)
        points = [(x0 + (w * k / max(1, n - 1)), y0 + h - (h - 6) * (y / top)) for k, y in enumerate(ys)]
        if n == 1:
            pdf.line(x0, points[0][1], x0 + w, points[0][1])
        elif n > 1:
            pdf.polyline(points)
        if len(lines) > 1:
            pdf.set_text_color(*PALETTE[i % len(PALETTE)])
            pdf.text(x0 + w - 50, y0 + 4 + 3.5 * i, name[:30])
    pdf.set_text_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.set_y(y0 + h + 4)


def _pdf_table(pdf: FPDF, frame: pl.DataFrame) -> None:
    pdf.set_font("Helvetica", "", 7)
    shown = frame.head(MAX_TABLE_ROWS)
    with pdf.table(text_align="LEFT", line_height=4.5) as table:
        table.row([str(c) for c in shown.columns])
        for row in shown.iter_rows():
            table.row([_plain(c, v) for c, v in zip(shown.columns, row, strict=True)])


def _plain(column: str, value: Any) -> str:
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return fmt(column, value) if isinstance(value, int | float) else str(value)


def to_pdf(title: str, sentences: list[str], frame: pl.DataFrame, metrics: list[str], dimension: str | None) -> bytes:
    pdf = FPDF(orientation="portrait", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, title[:90], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for sentence in sentences:
        pdf.multi_cell(0, 5, sentence, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for metric in metrics[:MAX_CHARTS]:
        if pdf.get_y() > pdf.h - 70:
            pdf.add_page()
        _pdf_chart(pdf, metric, _series(frame, metric, dimension))
    pdf.add_page()
    _pdf_table(pdf, frame)
    return bytes(pdf.output())


def to_html(title: str, sentences: list[str], frame: pl.DataFrame, metrics: list[str], dimension: str | None) -> bytes:
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:1000px;margin:2rem auto;color:#222}"
        "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px}</style>",
        f"</head><body><h1>{html.escape(title)}</h1>",
        *[f"<p>{html.escape(s)}</p>" for s in sentences],
    ]
    for i, metric in enumerate(metrics[:MAX_CHARTS]):
        fig = go.Figure()
        for name, (xs, ys) in _series(frame, metric, dimension).items():
            fig.add_scatter(x=xs, y=ys, mode="lines", name=name)
        fig.update_layout(title=metric, height=300, margin={"l": 40, "r": 20, "t": 40, "b": 30})
        parts.append(fig.to_html(full_html=False, include_plotlyjs=i == 0))
    shown = frame.head(MAX_TABLE_ROWS)
    header = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(_plain(c, v))}</td>" for c, v in zip(shown.columns, r, strict=True))
        + "</tr>"
        for r in shown.iter_rows()
    )
    parts.append(f"<h2>Data</h2><table><tr>{header}</tr>{rows}</table></body></html>")
    return "".join(parts).encode()
