"""Knowledge bases: create, list, read, rename, delete, and re-index on a model change.

A knowledge base names the embedding model its vectors come from. Changing the model (by
``update`` or ``reindex``) re-embeds every stored chunk in the background; until a document
is re-embedded, search skips it rather than compare vectors from two different models.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import db
from core.embeddings import DEFAULT_MODEL, available_models
from models.base import utcnow
from models.knowledge import KnowledgeBase
from models.repositories import knowledge as repo
from va_app.domain.errors import Conflict, InvalidInput, NotFound
from va_app.domain.identity.audit import audit
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.knowledge import ingestion
from va_app.domain.pagination import decode_cursor, encode_cursor


@dataclass(frozen=True)
class KnowledgeBaseView:
    id: str
    name: str
    description: str
    embedding_model: str
    status: str  # "ready", or "indexing" while documents are being embedded
    progress: float  # 0..1 over the documents being embedded; 1 when none are
    document_count: int
    chunk_count: int
    failed_documents: int
    created_at: dt.datetime
    updated_at: dt.datetime


def _view(kb: KnowledgeBase, stats: repo.DocumentStats | None) -> KnowledgeBaseView:
    stats = stats or repo.DocumentStats()
    return KnowledgeBaseView(
        id=str(kb.id),
        name=kb.name,
        description=kb.description,
        embedding_model=kb.embedding_model,
        status="indexing" if stats.indexing else "ready",
        progress=round(stats.progress_sum / stats.indexing, 4) if stats.indexing else 1.0,
        document_count=stats.documents,
        chunk_count=stats.chunks,
        failed_documents=stats.failed,
        created_at=kb.created_at,
        updated_at=kb.updated_at,
    )


def _audit_fields(kb: KnowledgeBase) -> dict[str, Any]:
    return {"name": kb.name, "description": kb.description, "embedding_model": kb.embedding_model}


def check_model(name: str) -> str:
    if name not in available_models():
        raise InvalidInput(f"unknown embedding model '{name}'; available: {', '.join(available_models())}")
    return name


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidInput("name must be 1 to 200 characters")
    return name


async def load_kb(session: AsyncSession, principal: Principal, kb_id: uuid.UUID) -> KnowledgeBase:
    kb = await repo.get_knowledge_base(session=session, tenant_id=principal.tenant_id, kb_id=kb_id)
    if kb is None:
        raise NotFound("knowledge base not found")
    return kb


async def _describe(session: AsyncSession, kb: KnowledgeBase) -> KnowledgeBaseView:
    stats = await repo.document_stats(session=session, tenant_id=kb.tenant_id, kb_ids=[kb.id])
    return _view(kb, stats.get(kb.id))


async def create_knowledge_base(
    principal: Principal, *, name: str, description: str = "", embedding_model: str = DEFAULT_MODEL
) -> KnowledgeBaseView:
    principal.require(Perm.KNOWLEDGE_WRITE)
    name, model = _check_name(name), check_model(embedding_model)
    async with db.session_scope() as session:
        kb = await repo.create_knowledge_base(
            session=session, tenant_id=principal.tenant_id, name=name, description=description, embedding_model=model
        )
        await audit(session, principal, "knowledge_base.create", "knowledge_base", kb.id, after=_audit_fields(kb))
        return _view(kb, None)


async def list_knowledge_bases(
    principal: Principal, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[KnowledgeBaseView], str | None]:
    principal.require(Perm.KNOWLEDGE_READ)
    after = decode_cursor(cursor) if cursor else None
    async with db.session_scope() as session:
        kbs = await repo.list_knowledge_bases(
            session=session, tenant_id=principal.tenant_id, limit=limit + 1, after=after
        )
        page = kbs[:limit]
        stats = await repo.document_stats(session=session, tenant_id=principal.tenant_id, kb_ids=[kb.id for kb in page])
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(kbs) > limit else None
    return [_view(kb, stats.get(kb.id)) for kb in page], next_cursor


async def get_knowledge_base(principal: Principal, kb_id: uuid.UUID) -> KnowledgeBaseView:
    principal.require(Perm.KNOWLEDGE_READ)
    async with db.session_scope() as session:
        kb = await load_kb(session, principal, kb_id)
        await expire_stale(session, kb.tenant_id, kb.id)
        return await _describe(session, kb)


async def update_knowledge_base(
    principal: Principal,
    kb_id: uuid.UUID,
    *,
    name: str | None = None,
    description: str | None = None,
    embedding_model: str | None = None,
) -> KnowledgeBaseView:
    """Rename or re-describe; a new ``embedding_model`` starts a re-index."""
    principal.require(Perm.KNOWLEDGE_WRITE)
    if embedding_model is not None:
        check_model(embedding_model)
    async with db.session_scope() as session:
        kb = await load_kb(session, principal, kb_id)
        model_changed = embedding_model is not None and embedding_model != kb.embedding_model
        if model_changed:
            await _check_can_reindex(session, kb)
        before = _audit_fields(kb)
        if name is not None:
            kb.name = _check_name(name)
        if description is not None:
            kb.description = description
        await session.flush()
        if _audit_fields(kb) != before:
            after = _audit_fields(kb)
            await audit(
                session, principal, "knowledge_base.update", "knowledge_base", kb.id, before=before, after=after
            )
        if not model_changed:
            return await _describe(session, kb)
    return await reindex_knowledge_base(principal, kb_id, embedding_model=embedding_model)


async def expire_stale(session: AsyncSession, tenant_id: uuid.UUID, kb_id: uuid.UUID) -> None:
    """Fail documents whose job died with its process (no heartbeat for ``STALE_AFTER_S``)."""
    await repo.fail_stale_documents(
        session=session,
        tenant_id=tenant_id,
        kb_id=kb_id,
        older_than=utcnow() - dt.timedelta(seconds=ingestion.STALE_AFTER_S),
        keep=ingestion.active_ids(),
    )


async def _check_can_reindex(session: AsyncSession, kb: KnowledgeBase) -> None:
    await expire_stale(session, kb.tenant_id, kb.id)
    if kb.id in ingestion.active_ids():
        raise Conflict("a re-index of this knowledge base is already running")
    stats = (await repo.document_stats(session=session, tenant_id=kb.tenant_id, kb_ids=[kb.id])).get(kb.id)
    if stats and stats.indexing:
        raise Conflict("documents are still being indexed; re-index when they are ready")


async def reindex_knowledge_base(
    principal: Principal, kb_id: uuid.UUID, *, embedding_model: str | None = None
) -> KnowledgeBaseView:
    """Re-embed every stored chunk (with a new model, or the same one after it was upgraded)."""
    principal.require(Perm.KNOWLEDGE_WRITE)
    if embedding_model is not None:
        check_model(embedding_model)
    async with db.session_scope() as session:
        kb = await load_kb(session, principal, kb_id)
        await _check_can_reindex(session, kb)
        before = _audit_fields(kb)
        kb.embedding_model = embedding_model or kb.embedding_model
        await session.flush()
        document_ids = await repo.mark_documents_for_reindex(session=session, tenant_id=kb.tenant_id, kb_id=kb.id)
        await audit(
            session,
            principal,
            "knowledge_base.reindex",
            "knowledge_base",
            kb.id,
            before=before,
            after={**_audit_fields(kb), "documents": len(document_ids)},
        )
        model, tenant_id = kb.embedding_model, kb.tenant_id
    if document_ids:
        ingestion.start(
            kb_id,
            ingestion.reindex_documents(tenant_id=tenant_id, kb_id=kb_id, model=model, document_ids=document_ids),
        )
    return await get_knowledge_base(principal, kb_id)


async def delete_knowledge_base(principal: Principal, kb_id: uuid.UUID) -> None:
    """The knowledge base, its documents and chunks; running jobs stop at their next batch."""
    principal.require(Perm.KNOWLEDGE_WRITE)
    async with db.session_scope() as session:
        kb = await load_kb(session, principal, kb_id)
        view = await _describe(session, kb)
        await repo.delete_knowledge_base(session=session, tenant_id=principal.tenant_id, kb_id=kb_id)
        await audit(
            session,
            principal,
            "knowledge_base.delete",
            "knowledge_base",
            kb_id,
            before={**_audit_fields(kb), "documents": view.document_count, "chunks": view.chunk_count},
        )
    ingestion.cancel(kb_id)
