"""Search by meaning: the API's ``search`` and the LLM runtime's ``retrieve``.

The query is embedded with the knowledge base's own model and compared by cosine similarity
(``score`` = 1 - cosine distance, so 1 is identical and about 0 unrelated) through the HNSW
index. Documents still being (re-)indexed are skipped: their vectors are missing or come from
another model.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core import db
from core.embeddings import DEFAULT_MODEL
from models.repositories import knowledge as repo
from va_app.domain.errors import InvalidInput
from va_app.domain.identity.permissions import Perm
from va_app.domain.identity.principal import Principal
from va_app.domain.knowledge import ingestion
from va_app.domain.knowledge.service import load_kb

MAX_K = 50
MAX_QUERY_CHARS = 2000


@dataclass(frozen=True)
class RetrievedChunk:
    """One chunk found for a query, best first in any list of them."""

    id: str
    knowledge_base_id: str
    document_id: str
    filename: str
    position: int
    content: str
    score: float
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchResults:
    results: list[RetrievedChunk]
    embedding_model: str
    took_ms: float


def ef_search_for(k: int) -> int:
    """HNSW candidate list: pgvector's default (40) for small k, growing with k for recall.

    A larger list raises pgvector's cost estimate for the index, and the planner then prefers an
    exact scan of the knowledge base up to a larger size; 40 keeps the index in use from a few
    thousand chunks on (measured recall@5 against exact search: see benchmarks/embeddings.py).
    """
    return min(1000, max(40, 4 * k))


def _check(query: str, k: int) -> str:
    query = query.strip()
    if not query:
        raise InvalidInput("query must not be empty")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidInput(f"query must be at most {MAX_QUERY_CHARS} characters")
    if not 1 <= k <= MAX_K:
        raise InvalidInput(f"k must be between 1 and {MAX_K}")
    return query


def _hit(row: repo.NearestChunk) -> RetrievedChunk:
    return RetrievedChunk(
        id=str(row.id),
        knowledge_base_id=str(row.knowledge_base_id),
        document_id=str(row.document_id),
        filename=row.filename,
        position=row.position,
        content=row.content,
        score=round(1.0 - row.distance, 6),
        meta=row.meta,
    )


async def _nearest(
    tenant_id: uuid.UUID, kb_ids: Sequence[uuid.UUID], model: str, query: str, k: int
) -> list[RetrievedChunk]:
    vector = await embed_query(query, model)
    async with db.session_scope() as session:
        skip = await repo.unsearchable_document_ids(session=session, tenant_id=tenant_id, kb_ids=kb_ids, model=model)
        rows = await repo.nearest_chunks(
            session=session,
            tenant_id=tenant_id,
            kb_ids=kb_ids,
            vector=vector,
            k=k,
            exclude_documents=skip,
            ef_search=ef_search_for(k),
        )
    return [_hit(r) for r in rows]


async def search(principal: Principal, kb_id: uuid.UUID, query: str, k: int = 5) -> SearchResults:
    principal.require(Perm.KNOWLEDGE_READ)
    query = _check(query, k)
    started = time.perf_counter()
    async with db.session_scope() as session:
        kb = await load_kb(session, principal, kb_id)
        model = kb.embedding_model
    hits = await _nearest(principal.tenant_id, [kb_id], model, query, k)
    return SearchResults(hits, model, round((time.perf_counter() - started) * 1000, 2))


def _as_uuid(value: uuid.UUID | str) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


async def embed_query(text: str, model: str = DEFAULT_MODEL) -> np.ndarray:
    """One unit vector for ``text`` off the event loop (the semantic cache uses the same model)."""
    vector: np.ndarray = (await ingestion.embed_texts(model, [text], gated=False))[0]
    return vector


async def retrieve(
    tenant_id: uuid.UUID, kb_ids: Sequence[uuid.UUID | str], query: str, k: int = 4, *, min_score: float = 0.0
) -> list[RetrievedChunk]:
    """The ``k`` best chunks across a tenant's knowledge bases, for grounding an answer.

    Ids of other tenants' (or deleted, or malformed) knowledge bases are ignored, never an
    error: an agent version may still name a knowledge base that is gone. Knowledge bases on different models
    are searched per model and merged by score.
    """
    query = _check(query, k)
    ids = [kb_id for kb_id in map(_as_uuid, kb_ids) if kb_id is not None]
    async with db.session_scope() as session:
        kbs = await repo.get_knowledge_bases(session=session, tenant_id=tenant_id, kb_ids=ids)
    by_model: dict[str, list[uuid.UUID]] = defaultdict(list)
    for kb in kbs:
        by_model[kb.embedding_model].append(kb.id)
    hits: list[RetrievedChunk] = []
    for model, model_kb_ids in by_model.items():
        hits.extend(await _nearest(tenant_id, model_kb_ids, model, query, k))
    hits.sort(key=lambda h: h.score, reverse=True)
    return [h for h in hits[:k] if h.score >= min_score]
