"""State of one knowledge base: its documents, uploads with live progress, and search.

An upload is validated and chunked during the upload event, so a bad file is refused at once
with the service's sentence. Small files come back ``ready``; larger ones are embedded in the
background, and the page re-reads the documents every ``POLL_S`` seconds until none is
pending or processing (``LiveState``: the reads run outside the state lock; a newer watch,
after another upload or a reload, replaces the running one). Once they settle it re-reads
the base's status and chunk count for the header.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, ClassVar, TypedDict

import reflex as rx
from reflex.event import EventSpec

from va_app.console import routes
from va_app.console.states.agent_detail import path_segment
from va_app.console.states.auth import AuthState, error_text
from va_app.console.states.formatting import stamp
from va_app.console.states.live import LiveState
from va_app.domain.errors import DomainError, NotAuthenticated, NotFound
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.knowledge.documents import delete_document, list_documents, upload_document
from va_app.domain.knowledge.formats import MAX_UPLOAD_BYTES, SUPPORTED
from va_app.domain.knowledge.search import MAX_K, search
from va_app.domain.knowledge.service import KnowledgeBaseView, get_knowledge_base

log = logging.getLogger(__name__)

UPLOAD_ID = "kb-upload"
POLL_S = 1.0
WATCH_LIMIT_S = 15 * 60  # a job that makes no progress is failed by the service after 10 min
BUSY = ("pending", "processing")


class DocRow(TypedDict):
    id: str
    filename: str
    kind: str
    size: str
    status: str
    progress: int  # percent
    chunks: int
    error: str
    uploaded: str


class Hit(TypedDict):
    """One chunk found by a search, best first."""

    rank: int
    score: str
    score_pct: int
    filename: str
    position: int
    content: str


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    return f"{size / 1024:.1f} KiB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MiB"


def doc_row(view: Any) -> DocRow:
    return DocRow(
        id=view.id,
        filename=view.filename,
        kind=view.content_type.split("/")[-1],
        size=_size(view.size_bytes),
        status=view.status,
        progress=round(view.progress * 100),
        chunks=view.chunk_count,
        error=view.error or "",
        uploaded=stamp(view.created_at),
    )


class KnowledgeBaseState(LiveState, AuthState):
    """The base named in the URL, its documents, the upload in flight and the last search."""

    LIVE_ROUTE: ClassVar[str] = routes.KNOWLEDGE_BASE
    LIVE_INTERVAL_S: ClassVar[float] = POLL_S
    LIVE_LIMIT_S: ClassVar[float | None] = WATCH_LIMIT_S

    kb_id: rx.Field[str] = rx.field("")
    name: rx.Field[str] = rx.field("")
    description: rx.Field[str] = rx.field("")
    model: rx.Field[str] = rx.field("")
    status: rx.Field[str] = rx.field("")
    chunk_count: rx.Field[int] = rx.field(0)
    documents: rx.Field[list[DocRow]] = rx.field(default_factory=list)
    loaded: rx.Field[bool] = rx.field(False)
    load_error: rx.Field[str] = rx.field("")
    uploading: rx.Field[bool] = rx.field(False)
    upload_progress: rx.Field[int] = rx.field(0)
    upload_error: rx.Field[str] = rx.field("")
    watching: rx.Field[bool] = rx.field(False)

    query: rx.Field[str] = rx.field("")
    k: rx.Field[str] = rx.field("5")
    hits: rx.Field[list[Hit]] = rx.field(default_factory=list)
    searched: rx.Field[bool] = rx.field(False)
    search_note: rx.Field[str] = rx.field("")
    searching: rx.Field[bool] = rx.field(False)

    @rx.var
    def can_write(self) -> bool:
        return Perm.KNOWLEDGE_WRITE.value in self.permissions

    @rx.var
    def busy_count(self) -> int:
        return sum(1 for d in self.documents if d["status"] in BUSY)

    @rx.var
    def accepted(self) -> str:
        return f"{SUPPORTED} · up to {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB"

    def _uuid(self) -> uuid.UUID:
        try:
            return uuid.UUID(self.kb_id)
        except ValueError:
            raise NotFound("knowledge base not found") from None

    async def _refresh(self, principal: Principal) -> None:
        kb_id = self._uuid()
        view = await get_knowledge_base(principal, kb_id)
        docs, _ = await list_documents(principal, kb_id, limit=200)
        self.name, self.description, self.model = view.name, view.description, view.embedding_model
        self.status, self.chunk_count = view.status, view.chunk_count
        self.documents = [doc_row(d) for d in docs]
        self.loaded = True

    @rx.event
    async def load(self) -> EventSpec | None:
        """``on_load``: the base in the URL and its documents; keep watching any still embedding."""
        self.kb_id = path_segment(self.router.url.path, 1)
        self.hits, self.searched, self.search_note, self.upload_error = [], False, "", ""
        try:
            await self._refresh(await self._principal())
        except DomainError as exc:
            self.loaded = True
            if exc.code in ("not_found", "permission_denied"):
                self.load_error = error_text(exc)
                return None
            return self._failed(exc)
        self.load_error = ""
        if self.busy_count:
            return KnowledgeBaseState.start_refresh
        self.watching = False  # Reflex cancels a watch with the page it was started on
        return None

    @rx.event
    def set_upload_progress(self, progress: dict[str, Any]) -> None:
        """Bytes sent so far, from the browser (the embedding progress comes from the documents)."""
        self.upload_progress = round(float(progress.get("progress") or 0) * 100)

    @rx.event
    async def upload(self, files: list[rx.UploadFile]) -> EventSpec | None:
        """Store each chosen file; refusals (type, size, empty) are shown above the list."""
        if not files:
            self.upload_error = "Choose a file first: drop it on the box or click to browse."
            return None
        self.uploading, self.upload_error = True, ""
        errors: list[str] = []
        try:
            principal = await self._principal()
            for file in files:
                data = await file.read()
                name = file.name or "upload"
                try:
                    await upload_document(
                        principal, self._uuid(), filename=name, content_type=file.content_type, data=data
                    )
                except DomainError as exc:
                    if isinstance(exc, NotAuthenticated):
                        raise
                    errors.append(f"{name}: {error_text(exc)}")
            await self._refresh(principal)
        except DomainError as exc:
            self.uploading = False
            return self._failed(exc)
        self.uploading, self.upload_progress = False, 0
        self.upload_error = " ".join(errors)
        events: list[Any] = [rx.clear_selected_files(UPLOAD_ID)]
        if self.busy_count:
            events.append(KnowledgeBaseState.start_refresh)
        return events  # type: ignore[return-value]

    def _live_started(self) -> None:
        self.watching = True

    def _live_stopped(self) -> None:
        self.watching = False

    def _live_begin(self) -> str:
        return self.kb_id

    async def _live_read(self, principal: Principal, kb_id: str) -> tuple[list[Any], KnowledgeBaseView | None]:
        """The documents; once none is busy, the base too (the header's status and chunk count)."""
        docs, _ = await list_documents(principal, uuid.UUID(kb_id), limit=200)
        view = None
        if not any(d.status in BUSY for d in docs):
            try:
                view = await get_knowledge_base(principal, uuid.UUID(kb_id))
            except DomainError:
                log.info("knowledge base re-read after the watch failed", extra={"kb_id": kb_id})
        return docs, view

    def _live_apply(self, reading: tuple[list[Any], KnowledgeBaseView | None], kb_id: str) -> bool:
        """Show the documents; keep watching while any is pending or processing."""
        if kb_id != self.kb_id:  # the tab opened another base meanwhile
            return False
        docs, view = reading
        self.documents = [doc_row(d) for d in docs]
        if view is not None:
            self.status, self.chunk_count = view.status, view.chunk_count
        return any(d.status in BUSY for d in docs)

    def _live_failed(self, exc: Exception) -> bool:
        """Deleted meanwhile, or access lost: stop quietly, the next load says why."""
        if isinstance(exc, DomainError):
            log.info("document watch stopped", extra={"kb_id": self.kb_id})
            return False
        return True

    @rx.event
    async def remove(self, document_id: str, filename: str) -> EventSpec | None:
        try:
            principal = await self._principal()
            await delete_document(principal, self._uuid(), uuid.UUID(document_id))
            await self._refresh(principal)
        except DomainError as exc:
            return self._failed(exc)
        return rx.toast.success(f"“{filename}” and its chunks were deleted.")

    @rx.event
    def set_k(self, value: str) -> None:
        self.k = value

    @rx.event
    async def run_search(self, form: dict[str, Any]) -> EventSpec | None:
        """The ``k`` chunks closest in meaning to the query, with their cosine scores."""
        self.query = str(form.get("query") or "").strip()
        if not self.query:
            self.search_note = "Type a question, e.g. “When is check-out?”."
            self.hits, self.searched = [], False
            return None
        k = int(self.k) if self.k.isdigit() else 5
        try:
            found = await search(await self._principal(), self._uuid(), self.query, min(max(k, 1), MAX_K))
        except DomainError as exc:
            if exc.code == "not_authenticated":
                return self._failed(exc)
            self.hits, self.searched, self.search_note = [], True, error_text(exc)
            return None
        self.hits = [
            Hit(
                rank=i + 1,
                score=f"{r.score:.3f}",
                score_pct=max(0, min(100, round(r.score * 100))),
                filename=r.filename,
                position=r.position,
                content=r.content,
            )
            for i, r in enumerate(found.results)
        ]
        self.searched = True
        self.search_note = f"{len(self.hits)} chunk(s) in {found.took_ms:.0f} ms · {found.embedding_model}"
        return None
