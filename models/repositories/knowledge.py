"""Knowledge bases, their documents and chunks. Every function is tenant-scoped.

Nearest-neighbour search runs on the HNSW cosine index (``ix_knowledge_chunks_embedding_hnsw``).
The index covers every tenant's chunks, so the tenant and knowledge-base filter is applied
while the graph is walked: pgvector's iterative scan (``relaxed_order``) keeps walking until
``k`` rows pass the filter instead of returning fewer rows than asked for, and the outer
query restores the exact order.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.knowledge import KnowledgeBase, KnowledgeChunk, KnowledgeDocument

# Core statements on the table for the bulk paths (executemany, no ORM bookkeeping per row).
_CHUNKS: Table = KnowledgeChunk.metadata.tables[KnowledgeChunk.__tablename__]

# --- knowledge bases ---------------------------------------------------------------------


async def create_knowledge_base(
    *, session: AsyncSession, tenant_id: uuid.UUID, name: str, description: str, embedding_model: str
) -> KnowledgeBase:
    kb = KnowledgeBase(tenant_id=tenant_id, name=name, description=description, embedding_model=embedding_model)
    session.add(kb)
    await session.flush()
    return kb


async def get_knowledge_base(*, session: AsyncSession, tenant_id: uuid.UUID, kb_id: uuid.UUID) -> KnowledgeBase | None:
    stmt = select(KnowledgeBase).where(KnowledgeBase.tenant_id == tenant_id, KnowledgeBase.id == kb_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_knowledge_bases(
    *, session: AsyncSession, tenant_id: uuid.UUID, kb_ids: Sequence[uuid.UUID]
) -> list[KnowledgeBase]:
    if not kb_ids:
        return []
    stmt = select(KnowledgeBase).where(KnowledgeBase.tenant_id == tenant_id, KnowledgeBase.id.in_(list(kb_ids)))
    return list((await session.execute(stmt)).scalars())


async def list_knowledge_bases(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    limit: int = 50,
    after: tuple[dt.datetime, uuid.UUID] | None = None,
) -> list[KnowledgeBase]:
    stmt = select(KnowledgeBase).where(KnowledgeBase.tenant_id == tenant_id)
    if after is not None:
        stmt = stmt.where(tuple_(KnowledgeBase.created_at, KnowledgeBase.id) < after)
    stmt = stmt.order_by(KnowledgeBase.created_at.desc(), KnowledgeBase.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def delete_knowledge_base(*, session: AsyncSession, tenant_id: uuid.UUID, kb_id: uuid.UUID) -> None:
    """Documents and chunks go with it (``ON DELETE CASCADE``)."""
    await session.execute(delete(KnowledgeBase).where(KnowledgeBase.tenant_id == tenant_id, KnowledgeBase.id == kb_id))


@dataclass(frozen=True)
class DocumentStats:
    documents: int = 0
    chunks: int = 0
    indexing: int = 0  # documents pending or processing
    failed: int = 0
    progress_sum: float = 0.0  # over the documents being indexed


async def document_stats(
    *, session: AsyncSession, tenant_id: uuid.UUID, kb_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, DocumentStats]:
    if not kb_ids:
        return {}
    doc = KnowledgeDocument
    indexing = doc.status.in_(("pending", "processing"))
    stmt = (
        select(
            doc.knowledge_base_id,
            func.count(),
            func.coalesce(func.sum(doc.chunk_count), 0),
            func.count().filter(indexing),
            func.count().filter(doc.status == "failed"),
            func.coalesce(func.sum(doc.progress).filter(indexing), 0.0),
        )
        .where(doc.tenant_id == tenant_id, doc.knowledge_base_id.in_(list(kb_ids)))
        .group_by(doc.knowledge_base_id)
    )
    rows = (await session.execute(stmt)).all()
    return {r[0]: DocumentStats(int(r[1]), int(r[2]), int(r[3]), int(r[4]), float(r[5])) for r in rows}


# --- documents ---------------------------------------------------------------------------


async def create_document(
    *, session: AsyncSession, tenant_id: uuid.UUID, kb_id: uuid.UUID, fields: dict[str, Any]
) -> KnowledgeDocument:
    document = KnowledgeDocument(tenant_id=tenant_id, knowledge_base_id=kb_id, **fields)
    session.add(document)
    await session.flush()
    return document


async def get_document(
    *, session: AsyncSession, tenant_id: uuid.UUID, kb_id: uuid.UUID, document_id: uuid.UUID
) -> KnowledgeDocument | None:
    stmt = select(KnowledgeDocument).where(
        KnowledgeDocument.tenant_id == tenant_id,
        KnowledgeDocument.knowledge_base_id == kb_id,
        KnowledgeDocument.id == document_id,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_documents(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kb_id: uuid.UUID,
    limit: int = 50,
    after: tuple[dt.datetime, uuid.UUID] | None = None,
    status: str | None = None,
) -> list[KnowledgeDocument]:
    doc = KnowledgeDocument
    stmt = select(doc).where(doc.tenant_id == tenant_id, doc.knowledge_base_id == kb_id)
    if status is not None:
        stmt = stmt.where(doc.status == status)
    if after is not None:
        stmt = stmt.where(tuple_(doc.created_at, doc.id) < after)
    stmt = stmt.order_by(doc.created_at.desc(), doc.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def delete_document(
    *, session: AsyncSession, tenant_id: uuid.UUID, kb_id: uuid.UUID, document_id: uuid.UUID
) -> None:
    await session.execute(
        delete(KnowledgeDocument).where(
            KnowledgeDocument.tenant_id == tenant_id,
            KnowledgeDocument.knowledge_base_id == kb_id,
            KnowledgeDocument.id == document_id,
        )
    )


async def set_document_state(
    *, session: AsyncSession, tenant_id: uuid.UUID, document_id: uuid.UUID, **values: Any
) -> bool:
    """Update status/progress/counts; False when the document is gone (deleted meanwhile)."""
    stmt = (
        update(KnowledgeDocument)
        .where(KnowledgeDocument.tenant_id == tenant_id, KnowledgeDocument.id == document_id)
        .values(**values)
        .returning(KnowledgeDocument.id)
    )
    return (await session.execute(stmt)).first() is not None


async def mark_documents_for_reindex(
    *, session: AsyncSession, tenant_id: uuid.UUID, kb_id: uuid.UUID
) -> list[uuid.UUID]:
    """Every document holding chunks goes back to ``pending``; returns their ids."""
    doc = KnowledgeDocument
    stmt = (
        update(doc)
        .where(doc.tenant_id == tenant_id, doc.knowledge_base_id == kb_id, doc.chunk_count > 0)
        .values(status="pending", progress=0.0, error=None)
        .returning(doc.id)
    )
    return [r[0] for r in (await session.execute(stmt)).all()]


async def fail_stale_documents(
    *, session: AsyncSession, tenant_id: uuid.UUID, kb_id: uuid.UUID, older_than: dt.datetime, keep: set[uuid.UUID]
) -> int:
    """Documents stuck indexing with no heartbeat: their process died; say so instead of spinning forever."""
    doc = KnowledgeDocument
    stmt = (
        update(doc)
        .where(
            doc.tenant_id == tenant_id,
            doc.knowledge_base_id == kb_id,
            doc.status.in_(("pending", "processing")),
            doc.updated_at < older_than,
        )
        .values(status="failed", error="indexing was interrupted (server restart); upload the file again")
        .returning(doc.id)
    )
    if keep:
        stmt = stmt.where(doc.id.not_in(list(keep)))
    return len((await session.execute(stmt)).all())


async def touch_documents(*, session: AsyncSession, tenant_id: uuid.UUID, document_ids: Sequence[uuid.UUID]) -> None:
    """Heartbeat (``updated_at``) for documents waiting in a running job."""
    doc = KnowledgeDocument
    await session.execute(
        update(doc).where(doc.tenant_id == tenant_id, doc.id.in_(list(document_ids))).values(updated_at=func.now())
    )


async def unsearchable_document_ids(
    *, session: AsyncSession, tenant_id: uuid.UUID, kb_ids: Sequence[uuid.UUID], model: str
) -> list[uuid.UUID]:
    """Documents that search must skip: not ready, or holding vectors of another model."""
    doc = KnowledgeDocument
    stmt = select(doc.id).where(
        doc.tenant_id == tenant_id,
        doc.knowledge_base_id.in_(list(kb_ids)),
        (doc.status != "ready") | (doc.embedding_model.is_distinct_from(model)),
    )
    return list((await session.execute(stmt)).scalars())


# --- chunks ------------------------------------------------------------------------------


async def insert_chunks(*, session: AsyncSession, tenant_id: uuid.UUID, rows: Sequence[dict[str, Any]]) -> None:
    """Rows carry knowledge_base_id, document_id, position, content, meta and embedding."""
    if rows:
        await session.execute(insert(_CHUNKS), [{"id": uuid.uuid4(), "tenant_id": tenant_id, **r} for r in rows])


async def count_chunks(*, session: AsyncSession, tenant_id: uuid.UUID, document_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(KnowledgeChunk.tenant_id == tenant_id, KnowledgeChunk.document_id == document_id)
    return int((await session.execute(stmt)).scalar_one())


async def delete_chunks(*, session: AsyncSession, tenant_id: uuid.UUID, document_id: uuid.UUID) -> None:
    await session.execute(
        delete(KnowledgeChunk).where(KnowledgeChunk.tenant_id == tenant_id, KnowledgeChunk.document_id == document_id)
    )


async def chunk_batch(
    *, session: AsyncSession, tenant_id: uuid.UUID, document_id: uuid.UUID, after_position: int, limit: int
) -> list[tuple[uuid.UUID, int, str]]:
    """(id, position, content) of the next chunks of a document, in order (for re-indexing)."""
    stmt = (
        select(KnowledgeChunk.id, KnowledgeChunk.position, KnowledgeChunk.content)
        .where(
            KnowledgeChunk.tenant_id == tenant_id,
            KnowledgeChunk.document_id == document_id,
            KnowledgeChunk.position > after_position,
        )
        .order_by(KnowledgeChunk.position)
        .limit(limit)
    )
    return [(r[0], r[1], r[2]) for r in (await session.execute(stmt)).all()]


async def update_chunk_embeddings(
    *, session: AsyncSession, tenant_id: uuid.UUID, embeddings: Sequence[tuple[uuid.UUID, Any]]
) -> None:
    if not embeddings:
        return
    table = _CHUNKS
    stmt = (
        update(table)
        .where(table.c.id == bindparam("chunk_id"), table.c.tenant_id == tenant_id)
        .values(embedding=bindparam("vector"))
    )
    await session.execute(stmt, [{"chunk_id": cid, "vector": vec} for cid, vec in embeddings])


@dataclass(frozen=True)
class NearestChunk:
    id: uuid.UUID
    knowledge_base_id: uuid.UUID
    document_id: uuid.UUID
    filename: str
    position: int
    content: str
    meta: dict[str, Any]
    distance: float


async def nearest_chunks(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kb_ids: Sequence[uuid.UUID],
    vector: Any,
    k: int,
    exclude_documents: Sequence[uuid.UUID] = (),
    ef_search: int = 100,
) -> list[NearestChunk]:
    """The ``k`` chunks closest (cosine) to ``vector`` within the tenant's knowledge bases."""
    if not kb_ids:
        return []
    # Transaction-local settings: ef_search trades recall for speed; the iterative scan keeps
    # filtered queries from coming back short.
    await session.execute(
        text(
            "SELECT set_config('hnsw.ef_search', :ef, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)"
        ),
        {"ef": str(ef_search)},
    )
    chunk = KnowledgeChunk
    distance = chunk.embedding.cosine_distance(vector).label("distance")
    inner = select(
        chunk.id,
        chunk.knowledge_base_id,
        chunk.document_id,
        chunk.position,
        chunk.content,
        chunk.meta,
        distance,
    ).where(chunk.tenant_id == tenant_id, chunk.knowledge_base_id.in_(list(kb_ids)))
    if exclude_documents:
        inner = inner.where(chunk.document_id.not_in(list(exclude_documents)))
    nearest = inner.order_by(distance).limit(k).subquery("nearest")
    stmt = (
        select(nearest, KnowledgeDocument.filename)
        .join(KnowledgeDocument, KnowledgeDocument.id == nearest.c.document_id)
        .order_by(nearest.c.distance)
    )
    rows = (await session.execute(stmt)).all()
    return [
        NearestChunk(
            id=r.id,
            knowledge_base_id=r.knowledge_base_id,
            document_id=r.document_id,
            filename=r.filename,
            position=r.position,
            content=r.content,
            meta=r.meta or {},
            distance=float(r.distance),
        )
        for r in rows
    ]
