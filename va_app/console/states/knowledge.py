"""State of the knowledge bases list: every base with its indexing status, create and delete.

Status and progress come from the knowledge service (``indexing`` while any document is
being embedded, with the mean progress); the page that watches one base live is
:mod:`va_app.console.states.knowledge_base`.
"""

from __future__ import annotations

import uuid
from typing import Any, TypedDict

import reflex as rx
from reflex.event import EventSpec

from va_app.console import routes
from va_app.console.states.auth import AuthState, error_text
from va_app.console.states.formatting import stamp
from va_app.domain.errors import DomainError
from va_app.domain.identity.permissions import Perm
from va_app.domain.knowledge.service import create_knowledge_base, delete_knowledge_base, list_knowledge_bases

PAGE_SIZE = 50


class KbRow(TypedDict):
    id: str
    name: str
    description: str
    status: str
    progress: int  # percent
    documents: int
    chunks: int
    failed: int
    model: str
    created: str


def kb_row(view: Any) -> KbRow:
    """A ``KnowledgeBaseView`` as a table row."""
    return KbRow(
        id=view.id,
        name=view.name,
        description=view.description,
        status=view.status,
        progress=round(view.progress * 100),
        documents=view.document_count,
        chunks=view.chunk_count,
        failed=view.failed_documents,
        model=view.embedding_model,
        created=stamp(view.created_at),
    )


class KnowledgeState(AuthState):
    """The list, the create dialog and the delete confirmation."""

    bases: rx.Field[list[KbRow]] = rx.field(default_factory=list)
    next_cursor: rx.Field[str] = rx.field("")
    loaded: rx.Field[bool] = rx.field(False)
    load_error: rx.Field[str] = rx.field("")
    create_open: rx.Field[bool] = rx.field(False)
    create_error: rx.Field[str] = rx.field("")
    pending_id: rx.Field[str] = rx.field("")
    pending_name: rx.Field[str] = rx.field("")

    @rx.var
    def can_write(self) -> bool:
        return Perm.KNOWLEDGE_WRITE.value in self.permissions

    @rx.var
    def confirm_open(self) -> bool:
        return self.pending_id != ""

    @rx.event
    async def load(self) -> EventSpec | None:
        return await self._read(cursor=None)

    @rx.event
    async def load_more(self) -> EventSpec | None:
        return await self._read(cursor=self.next_cursor or None)

    async def _read(self, cursor: str | None) -> EventSpec | None:
        try:
            views, next_cursor = await list_knowledge_bases(await self._principal(), limit=PAGE_SIZE, cursor=cursor)
        except DomainError as exc:
            self.loaded = True
            if exc.code == "permission_denied":
                self.load_error, self.bases = error_text(exc), []
                return None
            return self._failed(exc)
        rows = [kb_row(v) for v in views]
        self.bases = [*self.bases, *rows] if cursor else rows
        self.next_cursor = next_cursor or ""
        self.loaded, self.load_error = True, ""
        return None

    @rx.event
    def set_create_open(self, value: bool) -> None:
        self.create_open, self.create_error = value, ""

    @rx.event
    async def create(self, form: dict[str, Any]) -> EventSpec | None:
        """Create an empty knowledge base and open it to upload documents."""
        name = str(form.get("name") or "").strip()
        if not name:
            self.create_error = "Name the knowledge base, e.g. “Hotel FAQ”."
            return None
        try:
            view = await create_knowledge_base(
                await self._principal(), name=name, description=str(form.get("description") or "").strip()
            )
        except DomainError as exc:
            if exc.code in ("invalid_input", "permission_denied"):
                self.create_error = error_text(exc)
                return None
            return self._failed(exc)
        self.create_open = False
        return rx.redirect(routes.knowledge_base_path(view.id))

    @rx.event
    def ask_delete(self, kb_id: str, name: str) -> None:
        self.pending_id, self.pending_name = kb_id, name

    @rx.event
    def cancel(self) -> None:
        self.pending_id = self.pending_name = ""

    @rx.event
    async def confirm_delete(self) -> EventSpec | None:
        """Delete the base with its documents and chunks (agents that use it lose that knowledge)."""
        kb_id, name = self.pending_id, self.pending_name
        self.pending_id = self.pending_name = ""
        try:
            await delete_knowledge_base(await self._principal(), uuid.UUID(kb_id))
        except DomainError as exc:
            return self._failed(exc)
        self.bases = [b for b in self.bases if b["id"] != kb_id]
        return rx.toast.success(f"Knowledge base “{name}” was deleted.")
