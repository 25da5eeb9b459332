"""Tabular exports of a report frame: CSV, Parquet, XLSX and JSON, each as bytes.

Timestamps are written in UTC ISO form in the text formats and as typed timestamps in
Parquet and XLSX, so a spreadsheet or a notebook reads them without parsing.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import orjson
import polars as pl
import xlsxwriter

MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
}


def _text_frame(frame: pl.DataFrame) -> pl.DataFrame:
    stamps = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime)]
    return frame.with_columns(pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%SZ") for c in stamps)


def to_csv(frame: pl.DataFrame) -> bytes:
    return _text_frame(frame).write_csv().encode()


def to_parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def to_json(frame: pl.DataFrame, meta: dict[str, Any]) -> bytes:
    return orjson.dumps({**meta, "rows": _text_frame(frame).to_dicts()}, option=orjson.OPT_SERIALIZE_NUMPY)


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones; the header says UTC
    return value


def to_xlsx(frame: pl.DataFrame, summary: dict[str, Any], title: str) -> bytes:
    """A workbook with the rows on one sheet and the range's totals on another."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "nan_inf_to_errors": True})
    bold = book.add_format({"bold": True})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet = book.add_worksheet("Report")
    headers = [f"{c} (UTC)" if isinstance(t, pl.Datetime) else c for c, t in frame.schema.items()]
    sheet.write_row(0, 0, headers, bold)
    for r, row in enumerate(frame.iter_rows(), start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, _cell(value), when)
            elif value is not None:
                sheet.write(r, c, value)
    sheet.set_column(0, max(0, len(headers) - 1), 18)
    totals = book.add_worksheet("Summary")
    totals.write(0, 0, title, bold)
    for r, (key, value) in enumerate(summary.items(), start=2):
        totals.write(r, 0, key)
        if isinstance(value, int | float) and value is not None:
            totals.write_number(r, 1, value)
        elif value is not None:
            totals.write(r, 1, str(value))
    totals.set_column(0, 0, 24)
    book.close()
    return buffer.getvalue()
