"""State of the audit log page: filtered, newest-first trail with keyset "load more" and CSV export.

The CSV is built here from ``export_audit_csv`` and handed to the browser with
``rx.download``: the API's CSV route needs an API key, the console has a session instead.
Before/after values are already redacted by the audit service; they are pretty-printed once
when a page of rows arrives, so expanding a row costs nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any, TypedDict

import reflex as rx
from reflex.event import EventSpec

from va_app.console.states.auth import AuthState, error_text
from va_app.console.states.formatting import stamp
from va_app.domain.errors import DomainError, InvalidInput
from va_app.domain.identity.audit import AuditFilter, export_audit_csv, list_audit

PAGE_SIZE = 50
SHORT_ID = 8  # ids are shown shortened in the table, in full on hover and in the CSV
EXPORT_MAX_ROWS = 50_000  # the whole CSV travels over the websocket; bigger exports use the API


class AuditRow(TypedDict):
    """One audit entry as the table shows it."""

    id: str
    time: str
    actor: str
    actor_type: str
    action: str
    target_type: str
    target_id: str
    target_short: str
    ip: str
    request_id: str
    request_short: str
    before: str
    after: str


def _pretty(value: Any) -> str:
    return "" if value is None else json.dumps(value, indent=2, sort_keys=True, default=str)


def _row(entry: dict[str, Any]) -> AuditRow:
    target_id = entry.get("target_id") or ""
    request_id = entry.get("request_id") or ""
    created = entry["created_at"]
    return AuditRow(
        id=entry["id"],
        time=f"{stamp(created)}:{created.second:02d}" if isinstance(created, dt.datetime) else stamp(created),
        actor=entry.get("actor_label") or entry.get("actor_id") or "",
        actor_type=entry.get("actor_type") or "",
        action=entry["action"],
        target_type=entry["target_type"],
        target_id=target_id,
        target_short=target_id[:SHORT_ID],
        ip=entry.get("ip") or "",
        request_id=request_id,
        request_short=request_id[:SHORT_ID],
        before=_pretty(entry.get("before")),
        after=_pretty(entry.get("after")),
    )


def _day(text: str, label: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=dt.UTC)
    except ValueError as exc:
        raise InvalidInput(f"{label} is not a date") from exc


class AuditState(AuthState):
    """Filters, the rows read so far, their cursor and which rows are expanded."""

    action: rx.Field[str] = rx.field("")
    target_type: rx.Field[str] = rx.field("")
    since: rx.Field[str] = rx.field("")
    until: rx.Field[str] = rx.field("")
    form_key: rx.Field[int] = rx.field(0)

    rows: rx.Field[list[AuditRow]] = rx.field(default_factory=list)
    next_cursor: rx.Field[str] = rx.field("")
    expanded: rx.Field[list[str]] = rx.field(default_factory=list)
    loaded: rx.Field[bool] = rx.field(False)
    load_error: rx.Field[str] = rx.field("")
    exporting: rx.Field[bool] = rx.field(False)

    @rx.var
    def filtered(self) -> bool:
        return any((self.action, self.target_type, self.since, self.until))

    def _filters(self) -> AuditFilter:
        """The form's filters; ``until`` includes its whole day (UTC)."""
        until = _day(self.until, "'until'")
        return AuditFilter(
            action=self.action.strip() or None,
            target_type=self.target_type.strip() or None,
            since=_day(self.since, "'since'"),
            until=until + dt.timedelta(days=1) if until else None,
        )

    @rx.event
    async def load(self) -> EventSpec | None:
        return await self._read(cursor=None)

    @rx.event
    async def apply(self, form: dict[str, Any]) -> EventSpec | None:
        """Read from the top with the submitted filters."""
        self.action = str(form.get("action", "")).strip()
        self.target_type = str(form.get("target_type", "")).strip()
        self.since = str(form.get("since", ""))
        self.until = str(form.get("until", ""))
        return await self._read(cursor=None)

    @rx.event
    async def clear(self) -> EventSpec | None:
        self.action = self.target_type = self.since = self.until = ""
        self.form_key += 1
        return await self._read(cursor=None)

    @rx.event
    async def load_more(self) -> EventSpec | None:
        return await self._read(cursor=self.next_cursor or None)

    @rx.event
    def toggle(self, row_id: str) -> None:
        """Show or hide one row's before/after values."""
        self.expanded = (
            [r for r in self.expanded if r != row_id] if row_id in self.expanded else [*self.expanded, row_id]
        )

    async def _read(self, cursor: str | None) -> EventSpec | None:
        try:
            entries, next_cursor = await list_audit(
                await self._principal(), self._filters(), limit=PAGE_SIZE, cursor=cursor
            )
        except DomainError as exc:
            self.loaded = True
            if exc.code in ("permission_denied", "invalid_input"):
                self.load_error, self.rows = error_text(exc), []
                return None
            return self._failed(exc)
        rows = [_row(e) for e in entries]
        self.rows = [*self.rows, *rows] if cursor else rows
        if not cursor:
            self.expanded = []
        self.next_cursor = next_cursor or ""
        self.loaded, self.load_error = True, ""
        return None

    @rx.event
    async def export_csv(self) -> AsyncIterator[EventSpec | None]:
        """Every row matching the filters as CSV, downloaded by the browser."""
        self.exporting = True
        yield None
        try:
            principal = await self._principal()
            chunks = [chunk async for chunk in export_audit_csv(principal, self._filters(), max_rows=EXPORT_MAX_ROWS)]
        except DomainError as exc:
            self.exporting = False
            yield self._failed(exc)
            return
        self.exporting = False
        yield rx.download(data="".join(chunks), filename="audit-log.csv", mime_type="text/csv")
