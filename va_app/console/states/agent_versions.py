"""State of the versions tab: the immutable versions of the agent and a diff between any two.

``diff_versions`` says which fields changed with their before/after values; this module turns
each field into lines (texts as they are, structured fields as indented JSON) and lines into
two views: unified (``-``/``+`` lines with context) and side by side (old left, new right,
long unchanged runs folded), each line tagged so the page can colour it.
"""

from __future__ import annotations

import difflib
import json
from typing import Any, TypedDict

import reflex as rx
from reflex.event import EventSpec

from va_app.console.states.agent_detail import AgentDetailState
from va_app.console.states.auth import error_text
from va_app.console.states.formatting import stamp
from va_app.domain.agents.versions import diff_versions, list_versions
from va_app.domain.errors import DomainError

CONTEXT_LINES = 3
FIELD_LABELS = {
    "system_prompt": "System prompt",
    "greeting": "Greeting",
    "model_policy": "Model policy",
    "temperature": "Temperature",
    "knowledge_base_ids": "Knowledge bases",
    "allowed_actions": "Allowed actions",
    "guardrails": "Guardrails",
    "handoff_rules": "Handoff rules",
    "change_note": "Change note",
}


class VersionRow(TypedDict):
    number: int
    label: str
    change_note: str
    created: str
    tier: str
    temperature: str
    knowledge_bases: int


class DiffLine(TypedDict):
    """One line of the unified view: ``kind`` is add, del, ctx or hunk."""

    text: str
    kind: str


class SideRow(TypedDict):
    """One row of the side-by-side view: ``*_kind`` is add, del, ctx, empty or gap."""

    left: str
    right: str
    left_kind: str
    right_kind: str


class DiffField(TypedDict):
    field: str
    label: str
    unified: list[DiffLine]
    side: list[SideRow]


def as_lines(value: Any) -> list[str]:
    """A field value as lines: texts as they are, anything else as stable, indented JSON."""
    if isinstance(value, str):
        return value.splitlines() or [""]
    return json.dumps(value, indent=2, sort_keys=True, default=str).splitlines()


def unified_lines(before: list[str], after: list[str]) -> list[DiffLine]:
    lines: list[DiffLine] = []
    for line in list(difflib.unified_diff(before, after, lineterm="", n=CONTEXT_LINES))[2:]:
        kind = {"@": "hunk", "+": "add", "-": "del"}.get(line[:1], "ctx")
        lines.append(DiffLine(text=line, kind=kind))
    return lines


def side_rows(before: list[str], after: list[str]) -> list[SideRow]:
    """Old and new next to each other; unchanged runs longer than twice the context are folded."""
    rows: list[SideRow] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            same = before[i1:i2]
            if len(same) > 2 * CONTEXT_LINES + 1:
                head, tail = same[:CONTEXT_LINES], same[-CONTEXT_LINES:]
                folded = len(same) - 2 * CONTEXT_LINES
                rows += [SideRow(left=t, right=t, left_kind="ctx", right_kind="ctx") for t in head]
                rows.append(SideRow(left=f"… {folded} unchanged lines …", right="", left_kind="gap", right_kind="gap"))
                rows += [SideRow(left=t, right=t, left_kind="ctx", right_kind="ctx") for t in tail]
            else:
                rows += [SideRow(left=t, right=t, left_kind="ctx", right_kind="ctx") for t in same]
            continue
        old, new = before[i1:i2], after[j1:j2]
        for k in range(max(len(old), len(new))):
            rows.append(
                SideRow(
                    left=old[k] if k < len(old) else "",
                    right=new[k] if k < len(new) else "",
                    left_kind="del" if k < len(old) else "empty",
                    right_kind="add" if k < len(new) else "empty",
                )
            )
    return rows


def diff_fields(changes: list[dict[str, Any]]) -> list[DiffField]:
    fields: list[DiffField] = []
    for change in changes:
        before, after = as_lines(change["before"]), as_lines(change["after"])
        fields.append(
            DiffField(
                field=change["field"],
                label=FIELD_LABELS.get(change["field"], change["field"]),
                unified=unified_lines(before, after),
                side=side_rows(before, after),
            )
        )
    return fields


def _version_row(version: Any) -> VersionRow:
    return VersionRow(
        number=version.number,
        label=f"v{version.number}",
        change_note=version.change_note,
        created=stamp(version.created_at),
        tier=str(version.model_policy.get("quality_tier", "standard")),
        temperature=f"{version.temperature:g}",
        knowledge_bases=len(version.knowledge_base_ids),
    )


class AgentVersionsState(AgentDetailState):
    """The version list and the diff the user is looking at."""

    versions: rx.Field[list[VersionRow]] = rx.field(default_factory=list)
    diff_from: rx.Field[str] = rx.field("")
    diff_to: rx.Field[str] = rx.field("")
    diff_mode: rx.Field[str] = rx.field("side")
    diff: rx.Field[list[DiffField]] = rx.field(default_factory=list)
    diff_error: rx.Field[str] = rx.field("")
    diff_loaded: rx.Field[bool] = rx.field(False)

    @rx.var
    def version_numbers(self) -> list[str]:
        return [str(v["number"]) for v in self.versions]

    @rx.event
    async def load_versions(self) -> EventSpec | None:
        """Every version (newest first) and, when there are two, the diff of the newest pair."""
        if not self.slug or self.load_error:
            return None
        try:
            versions, _ = await list_versions(await self._principal(), self.slug, limit=200)
        except DomainError as exc:
            return self._failed(exc)
        self.versions = [_version_row(v) for v in versions]
        if len(versions) >= 2:
            self.diff_to, self.diff_from = str(versions[0].number), str(versions[1].number)
            return await self._load_diff()
        self.diff, self.diff_loaded = [], False
        return None

    @rx.event
    async def compare(self, number: int) -> EventSpec | None:
        """Diff a version against the one before it (the row's "diff" button)."""
        self.diff_to, self.diff_from = str(number), str(max(1, number - 1))
        self.tab = "versions"
        return await self._load_diff()

    @rx.event
    async def set_diff_from(self, value: str) -> EventSpec | None:
        self.diff_from = value
        return await self._load_diff()

    @rx.event
    async def set_diff_to(self, value: str) -> EventSpec | None:
        self.diff_to = value
        return await self._load_diff()

    @rx.event
    def set_diff_mode(self, value: str | list[str]) -> None:
        self.diff_mode = value if isinstance(value, str) else value[0]

    async def _load_diff(self) -> EventSpec | None:
        if not (self.diff_from.isdigit() and self.diff_to.isdigit()):
            return None
        if self.diff_from == self.diff_to:
            self.diff, self.diff_error, self.diff_loaded = [], "Pick two different versions to compare.", True
            return None
        try:
            result = await diff_versions(
                await self._principal(), self.slug, int(self.diff_to), against=int(self.diff_from)
            )
        except DomainError as exc:
            if exc.code == "not_authenticated":
                return self._failed(exc)
            self.diff, self.diff_error, self.diff_loaded = [], error_text(exc), True
            return None
        self.diff, self.diff_error, self.diff_loaded = diff_fields(result["changes"]), "", True
        return None
