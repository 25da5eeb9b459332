"""Embedding jobs: new documents and re-indexes, in batches, with progress in the row.

Embedding is the slow part (about 60 chunks/s on this 2-core machine), so chunks are embedded
``BATCH`` at a time in a worker thread and each batch is committed with the document's
``progress`` and ``chunk_count``: a client (or the console) polling the document sees it move,
and ``updated_at`` doubles as a heartbeat so a job lost to a restart can be told from a slow
one. Only one batch is embedded at a time per process (onnxruntime already uses every core;
two at once would just thrash), so jobs interleave batch by batch and a small upload is not
stuck behind a large one.

Jobs run as asyncio tasks in the web process; a document deleted while its job runs stops the
job at the next batch.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine, Sequence
from typing import Any

import numpy as np

from core import db
from core.embeddings import get_embedder
from models.repositories import knowledge as repo
from va_app.domain.knowledge.chunking import ChunkDraft

log = logging.getLogger(__name__)

BATCH = 32
STALE_AFTER_S = 600  # no heartbeat for this long: the job's process is gone

_tasks: dict[uuid.UUID, asyncio.Task[None]] = {}  # by document or knowledge-base id
_gates: dict[int, asyncio.Semaphore] = {}


def _gate() -> asyncio.Semaphore:
    """One embedding batch at a time, per event loop (asyncio primitives cannot cross loops)."""
    loop_id = id(asyncio.get_running_loop())
    if loop_id not in _gates:
        _gates[loop_id] = asyncio.Semaphore(1)
    return _gates[loop_id]


async def embed_texts(model: str, texts: Sequence[str], *, gated: bool = True) -> np.ndarray:
    """Vectors for ``texts`` off the event loop. Queries pass ``gated=False``: they are tiny."""
    embedder = get_embedder(model)
    if not gated:
        return await asyncio.to_thread(embedder.embed, list(texts))
    async with _gate():
        return await asyncio.to_thread(embedder.embed, list(texts))


def active_ids() -> set[uuid.UUID]:
    return {key for key, task in _tasks.items() if not task.done()}


def start(key: uuid.UUID, job: Coroutine[Any, Any, None]) -> None:
    """Run ``job`` in the background under ``key`` (kept referenced until it ends)."""
    task = asyncio.create_task(job, name=f"knowledge-job-{key}")
    _tasks[key] = task
    task.add_done_callback(lambda t: _tasks.pop(key, None) if _tasks.get(key) is t else None)


def cancel(key: uuid.UUID) -> None:
    task = _tasks.get(key)
    if task is not None:
        task.cancel()


async def drain(timeout: float = 300) -> None:
    """Wait for every running job (tests, graceful shutdown)."""
    pending = [t for t in _tasks.values() if not t.done()]
    if pending:
        await asyncio.wait(pending, timeout=timeout)


async def ingest_document(
    *, tenant_id: uuid.UUID, kb_id: uuid.UUID, document_id: uuid.UUID, model: str, drafts: list[ChunkDraft]
) -> None:
    """Embed and store a new document's chunks; the document ends ``ready`` or ``failed``."""
    total = len(drafts)
    try:
        async with db.session_scope() as session:
            if not await repo.set_document_state(
                session=session, tenant_id=tenant_id, document_id=document_id, status="processing", progress=0.0
            ):
                return
        for start_at in range(0, total, BATCH):
            batch = drafts[start_at : start_at + BATCH]
            vectors = await embed_texts(model, [d.content for d in batch])
            done = start_at + len(batch)
            async with db.session_scope() as session:
                alive = await repo.set_document_state(
                    session=session,
                    tenant_id=tenant_id,
                    document_id=document_id,
                    status="processing",
                    progress=round(done / total, 4),
                    chunk_count=done,
                )
                if not alive:
                    return
                await repo.insert_chunks(
                    session=session,
                    tenant_id=tenant_id,
                    rows=[
                        {
                            "knowledge_base_id": kb_id,
                            "document_id": document_id,
                            "position": start_at + i,
                            "content": draft.content,
                            "meta": draft.meta,
                            "embedding": vectors[i],
                        }
                        for i, draft in enumerate(batch)
                    ],
                )
        async with db.session_scope() as session:
            await repo.set_document_state(
                session=session,
                tenant_id=tenant_id,
                document_id=document_id,
                status="ready",
                progress=1.0,
                chunk_count=total,
                embedding_model=model,
                error=None,
            )
    except asyncio.CancelledError:
        await _fail(tenant_id, document_id, "indexing was cancelled", drop_chunks=True)
        raise
    except Exception:
        log.exception("knowledge ingestion failed", extra={"document_id": str(document_id)})
        await _fail(tenant_id, document_id, "indexing failed; the error has been logged", drop_chunks=True)


async def reindex_documents(
    *, tenant_id: uuid.UUID, kb_id: uuid.UUID, model: str, document_ids: list[uuid.UUID]
) -> None:
    """Re-embed the stored chunks of each document with ``model``, one document at a time."""
    remaining = list(document_ids)
    while remaining:
        document_id = remaining.pop(0)
        try:
            await _reindex_one(tenant_id, document_id, model, waiting=remaining)
        except asyncio.CancelledError:
            for doc in [document_id, *remaining]:
                await _fail(tenant_id, doc, "re-index was cancelled; run it again", drop_chunks=False)
            raise
        except Exception:
            log.exception("knowledge re-index failed", extra={"document_id": str(document_id), "kb_id": str(kb_id)})
            await _fail(tenant_id, document_id, "re-index failed; the error has been logged", drop_chunks=False)


async def _reindex_one(tenant_id: uuid.UUID, document_id: uuid.UUID, model: str, *, waiting: list[uuid.UUID]) -> None:
    async with db.session_scope() as session:
        doc = await repo.set_document_state(
            session=session, tenant_id=tenant_id, document_id=document_id, status="processing", progress=0.0
        )
    if not doc:
        return
    total = await _chunk_total(tenant_id, document_id)
    position, done = -1, 0
    while True:
        async with db.session_scope() as session:
            rows = await repo.chunk_batch(
                session=session, tenant_id=tenant_id, document_id=document_id, after_position=position, limit=BATCH
            )
        if not rows:
            break
        vectors = await embed_texts(model, [content for _, _, content in rows])
        done += len(rows)
        position = rows[-1][1]
        async with db.session_scope() as session:
            if not await repo.set_document_state(
                session=session, tenant_id=tenant_id, document_id=document_id, progress=round(done / max(total, 1), 4)
            ):
                return
            await repo.update_chunk_embeddings(
                session=session,
                tenant_id=tenant_id,
                embeddings=[(cid, vectors[i]) for i, (cid, _, _) in enumerate(rows)],
            )
            if waiting:  # heartbeat for the documents queued behind this one
                await repo.touch_documents(session=session, tenant_id=tenant_id, document_ids=waiting)
    async with db.session_scope() as session:
        await repo.set_document_state(
            session=session,
            tenant_id=tenant_id,
            document_id=document_id,
            status="ready",
            progress=1.0,
            embedding_model=model,
        )


async def _chunk_total(tenant_id: uuid.UUID, document_id: uuid.UUID) -> int:
    async with db.session_scope() as session:
        return await repo.count_chunks(session=session, tenant_id=tenant_id, document_id=document_id)


async def _fail(tenant_id: uuid.UUID, document_id: uuid.UUID, message: str, *, drop_chunks: bool) -> None:
    """Record the failure; a failed new document keeps no half-set of chunks."""
    try:
        async with db.session_scope() as session:
            values: dict[str, Any] = {"status": "failed", "error": message}
            if drop_chunks:
                await repo.delete_chunks(session=session, tenant_id=tenant_id, document_id=document_id)
                values["chunk_count"] = 0
            await repo.set_document_state(session=session, tenant_id=tenant_id, document_id=document_id, **values)
    except Exception:  # the store itself may be what failed; the stale check will catch up
        log.exception("could not record a knowledge job failure", extra={"document_id": str(document_id)})
