"""How the identity pages print times: one format, UTC, short enough for a table cell."""

from __future__ import annotations

import datetime as dt


def stamp(value: str | dt.datetime | None, empty: str = "") -> str:
    """An ISO time or datetime as ``YYYY-MM-DD HH:MM`` in UTC; ``empty`` when there is none."""
    if value is None or value == "":
        return empty
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC)
    return when.strftime("%Y-%m-%d %H:%M")
