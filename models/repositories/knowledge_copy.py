"""Copy a knowledge base (documents, chunks and their embeddings) into another tenant.

Done in SQL with ``INSERT ... SELECT`` so vectors never travel through Python: cloning a
large base costs one round trip per table. Both tenant ids are explicit arguments, and the
source rows are selected by the source tenant id, so a caller cannot copy what is not theirs.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from models.knowledge import KnowledgeBase


async def copy_knowledge_base(
    *, session: AsyncSession, source_tenant_id: uuid.UUID, target_tenant_id: uuid.UUID, kb_id: uuid.UUID
) -> uuid.UUID | None:
    source = await session.get(KnowledgeBase, kb_id)
    if source is None or source.tenant_id != source_tenant_id:
        return None
    copy = KnowledgeBase(
        tenant_id=target_tenant_id,
        name=source.name,
        description=source.description,
        embedding_model=source.embedding_model,
    )
    session.add(copy)
    await session.flush()
    params = {"src_tenant": source_tenant_id, "dst_tenant": target_tenant_id, "src_kb": kb_id, "dst_kb": copy.id}
    # A temporary mapping of old -> new document ids keeps chunks attached to the right copy.
    await session.execute(
        text("CREATE TEMP TABLE IF NOT EXISTS kb_doc_map (old_id uuid PRIMARY KEY, new_id uuid) ON COMMIT DROP")
    )
    await session.execute(text("TRUNCATE kb_doc_map"))
    await session.execute(
        text(
            "INSERT INTO kb_doc_map (old_id, new_id) SELECT id, gen_random_uuid() FROM knowledge_documents "
            "WHERE tenant_id = :src_tenant AND knowledge_base_id = :src_kb"
        ),
        params,
    )
    await session.execute(
        text(
            """
            INSERT INTO knowledge_documents
                (id, tenant_id, knowledge_base_id, filename, content_type, size_bytes, status, chunk_count,
                 error, progress, embedding_model, created_at, updated_at)
            SELECT m.new_id, :dst_tenant, :dst_kb, d.filename, d.content_type, d.size_bytes, d.status,
                   d.chunk_count, d.error, d.progress, d.embedding_model, now(), now()
            FROM knowledge_documents d JOIN kb_doc_map m ON m.old_id = d.id
            WHERE d.tenant_id = :src_tenant
            """
        ),
        params,
    )
    await session.execute(
        text(
            """
            INSERT INTO knowledge_chunks
                (id, tenant_id, knowledge_base_id, document_id, position, content, meta, embedding)
            SELECT gen_random_uuid(), :dst_tenant, :dst_kb, m.new_id, c.position, c.content, c.meta, c.embedding
            FROM knowledge_chunks c JOIN kb_doc_map m ON m.old_id = c.document_id
            WHERE c.tenant_id = :src_tenant AND c.knowledge_base_id = :src_kb
            """
        ),
        params,
    )
    return copy.id
