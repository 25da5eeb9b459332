"""Documents: upload (validate, parse, chunk, embed), list, read with progress, delete.

Validation and parsing happen during the upload request, so a bad file gets its 4xx answer
at once. Embedding is what takes time (about 60 chunks/s here): a document of up to
``INLINE_MAX_CHUNKS`` chunks is embedded before the response (``ready`` at once), a larger
one in a background job while the client polls ``status`` and ``progress``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass

from core import db
from models.knowledge import KnowledgeDocument
from models.repositories import knowledge as repo
from va_app.domain.errors import NotFound
from va_app.domain.identity.audit import audit
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.knowledge import ingestion
from va_app.domain.knowledge.chunking import ChunkDraft, chunk_blocks
from va_app.domain.knowledge.formats import (
    CANONICAL_TYPE,
    MAX_CHUNKS_PER_DOCUMENT,
    FileFormat,
    FileTooLarge,
    check_size,
    clean_filename,
    detect_format,
)
from va_app.domain.knowledge.parsers import parse
from va_app.domain.knowledge.service import expire_stale, load_kb
from va_app.domain.pagination import decode_cursor, encode_cursor

INLINE_MAX_CHUNKS = 48  # about a second of embedding: answer with the document ready


@dataclass(frozen=True)
class DocumentView:
    id: str
    knowledge_base_id: str
    filename: str
    content_type: str
    size_bytes: int
    status: str  # pending -> processing -> ready | failed
    progress: float  # 0..1 of the chunks embedded
    chunk_count: int
    embedding_model: str | None
    error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class Upload:
    document: DocumentView
    background: bool  # True: still embedding, poll the document


def describe(doc: KnowledgeDocument) -> DocumentView:
    return DocumentView(
        id=str(doc.id),
        knowledge_base_id=str(doc.knowledge_base_id),
        filename=doc.filename,
        content_type=doc.content_type,
        size_bytes=doc.size_bytes,
        status=doc.status,
        progress=doc.progress,
        chunk_count=doc.chunk_count,
        embedding_model=doc.embedding_model,
        error=doc.error,
        created_at=doc.created_at,
        updated_at=doc.updated_at,
    )


async def check_upload_allowed(principal: Principal, kb_id: uuid.UUID) -> None:
    """Permission and ownership, before the request body is read at all."""
    principal.require(Perm.KNOWLEDGE_WRITE)
    async with db.session_scope() as session:
        await load_kb(session, principal, kb_id)


def prepare(filename: str, content_type: str | None, data: bytes) -> tuple[FileFormat, list[ChunkDraft]]:
    """Validate and chunk a file (pure, CPU-bound: run it off the event loop)."""
    fmt = detect_format(filename, content_type)
    check_size(len(data))
    drafts = chunk_blocks(parse(fmt, data))
    if len(drafts) > MAX_CHUNKS_PER_DOCUMENT:
        raise FileTooLarge(f"the file makes {len(drafts)} chunks; the limit is {MAX_CHUNKS_PER_DOCUMENT}: split it")
    return fmt, drafts


async def upload_document(
    principal: Principal, kb_id: uuid.UUID, *, filename: str, content_type: str | None, data: bytes
) -> Upload:
    principal.require(Perm.KNOWLEDGE_WRITE)
    name = clean_filename(filename)
    fmt, drafts = await asyncio.to_thread(prepare, name, content_type, data)
    async with db.session_scope() as session:
        kb = await load_kb(session, principal, kb_id)
        doc = await repo.create_document(
            session=session,
            tenant_id=principal.tenant_id,
            kb_id=kb.id,
            fields={
                "filename": name,
                "content_type": CANONICAL_TYPE[fmt],
                "size_bytes": len(data),
                "status": "pending",
                "progress": 0.0,
                "chunk_count": 0,
                "embedding_model": kb.embedding_model,
            },
        )
        await audit(
            session,
            principal,
            "knowledge_document.create",
            "knowledge_document",
            doc.id,
            after={"knowledge_base_id": kb.id, "filename": name, "size_bytes": len(data), "chunks": len(drafts)},
        )
        doc_id, model = doc.id, kb.embedding_model
    job = ingestion.ingest_document(
        tenant_id=principal.tenant_id, kb_id=kb_id, document_id=doc_id, model=model, drafts=drafts
    )
    background = len(drafts) > INLINE_MAX_CHUNKS
    if background:
        ingestion.start(doc_id, job)
    else:
        await job
    return Upload(await get_document(principal, kb_id, doc_id), background)


async def list_documents(
    principal: Principal, kb_id: uuid.UUID, *, limit: int = 50, cursor: str | None = None, status: str | None = None
) -> tuple[list[DocumentView], str | None]:
    principal.require(Perm.KNOWLEDGE_READ)
    after = decode_cursor(cursor) if cursor else None
    async with db.session_scope() as session:
        await load_kb(session, principal, kb_id)
        await expire_stale(session, principal.tenant_id, kb_id)
        docs = await repo.list_documents(
            session=session, tenant_id=principal.tenant_id, kb_id=kb_id, limit=limit + 1, after=after, status=status
        )
    page = docs[:limit]
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(docs) > limit else None
    return [describe(d) for d in page], next_cursor


async def get_document(principal: Principal, kb_id: uuid.UUID, document_id: uuid.UUID) -> DocumentView:
    principal.require(Perm.KNOWLEDGE_READ)
    async with db.session_scope() as session:
        await expire_stale(session, principal.tenant_id, kb_id)
        doc = await repo.get_document(
            session=session, tenant_id=principal.tenant_id, kb_id=kb_id, document_id=document_id
        )
        if doc is None:
            raise NotFound("document not found")
        return describe(doc)


async def delete_document(principal: Principal, kb_id: uuid.UUID, document_id: uuid.UUID) -> None:
    """The document and its chunks; a running job for it stops."""
    principal.require(Perm.KNOWLEDGE_WRITE)
    async with db.session_scope() as session:
        doc = await repo.get_document(
            session=session, tenant_id=principal.tenant_id, kb_id=kb_id, document_id=document_id
        )
        if doc is None:
            raise NotFound("document not found")
        before = {"knowledge_base_id": doc.knowledge_base_id, "filename": doc.filename, "chunks": doc.chunk_count}
        await repo.delete_document(session=session, tenant_id=principal.tenant_id, kb_id=kb_id, document_id=document_id)
        await audit(session, principal, "knowledge_document.delete", "knowledge_document", document_id, before=before)
    ingestion.cancel(document_id)
