"""pgvector nearest-neighbour search through the SQLAlchemy models."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from sqlalchemy import select

from core import db
from models import KnowledgeBase, KnowledgeChunk, KnowledgeDocument
from models.knowledge import EMBEDDING_DIM
from models.repositories import tenants as tenants_repo

pytestmark = pytest.mark.postgres


def _unit(vec: np.ndarray) -> list[float]:
    return (vec / np.linalg.norm(vec)).astype(float).tolist()


async def test_nearest_neighbour_order_and_tenant_scope() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(size=EMBEDDING_DIM)
    async with db.session_scope() as session:
        tenant = await tenants_repo.create_tenant(session=session, slug=f"t-{uuid.uuid4().hex[:8]}", name="T")
        other = await tenants_repo.create_tenant(session=session, slug=f"o-{uuid.uuid4().hex[:8]}", name="O")
        for owner in (tenant, other):
            kb = KnowledgeBase(tenant_id=owner.id, name="kb")
            session.add(kb)
            await session.flush()
            doc = KnowledgeDocument(tenant_id=owner.id, knowledge_base_id=kb.id, filename="f.txt", content_type="text")
            session.add(doc)
            await session.flush()
            for i, noise in enumerate((0.01, 0.5, 3.0)):
                session.add(
                    KnowledgeChunk(
                        tenant_id=owner.id,
                        knowledge_base_id=kb.id,
                        document_id=doc.id,
                        position=i,
                        content=f"{owner.slug}-chunk-{i}",
                        embedding=_unit(base + rng.normal(scale=noise, size=EMBEDDING_DIM)),
                    )
                )
        tenant_id = tenant.id
        tenant_slug = tenant.slug

    query = _unit(base)
    async with db.session_scope() as session:
        distance = KnowledgeChunk.embedding.cosine_distance(query)
        rows = (
            await session.execute(
                select(KnowledgeChunk.content, distance.label("d"))
                .where(KnowledgeChunk.tenant_id == tenant_id)
                .order_by(distance)
                .limit(3)
            )
        ).all()
    assert [r.content for r in rows] == [f"{tenant_slug}-chunk-{i}" for i in range(3)]
    assert rows[0].d < rows[1].d < rows[2].d
