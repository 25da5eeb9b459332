"""The semantic answer cache: past answers found again by the meaning of the question."""

from __future__ import annotations

import datetime as dt
import uuid

from pgvector.sqlalchemy import Vector
from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, TenantScoped, utcnow
from models.knowledge import EMBEDDING_DIM


class SemanticCacheEntry(IdMixin, TenantScoped, Base):
    """One answered question of one agent version; never shared across tenants or versions.

    Lookups filter on (tenant, agent, version, model, source chunk). Small partitions are
    scanned exactly through the btree index; large ones use the HNSW index with pgvector's
    iterative scan, which keeps scanning until the filter is satisfied (plain HNSW would
    post-filter and could miss this partition's one close entry). Partitions are bounded by
    ``chat.semantic_cache_max_entries``.
    """

    __tablename__ = "semantic_cache_entries"
    __table_args__ = (
        Index("ix_semantic_cache_partition", "tenant_id", "agent_id", "version", "embedding_model", "source_key"),
        Index(
            "ix_semantic_cache_embedding_hnsw",
            "embedding",
            postgresql_using="hnsw",
            postgresql_with={"m": 16, "ef_construction": 64},
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
    )

    agent_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("agents.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    embedding_model: Mapped[str] = mapped_column(String(100))
    embedding: Mapped[list[float]] = mapped_column(Vector(EMBEDDING_DIM))
    # The knowledge chunk the question was answered from ("" without a knowledge base): a hit
    # must be grounded in the same chunk, so "check-in?" never reuses the "check-out?" answer.
    source_key: Mapped[str] = mapped_column(String(100), default="")
    question: Mapped[str] = mapped_column(Text)  # PII-masked, normalised
    reply: Mapped[str] = mapped_column(Text)  # PII-masked
    model: Mapped[str] = mapped_column(String(200), default="")
    provider: Mapped[str] = mapped_column(String(100), default="")
    intent: Mapped[str] = mapped_column(String(100), default="")
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
