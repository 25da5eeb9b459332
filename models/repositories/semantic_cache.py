"""Semantic cache entries; every query is scoped by tenant, agent and version."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import utcnow
from models.repositories import affected_rows
from models.semantic_cache import SemanticCacheEntry

TRIM_EVERY = 32


@dataclass(frozen=True)
class CachedAnswer:
    id: uuid.UUID
    question: str
    reply: str
    model: str
    provider: str
    intent: str
    cost_usd: float
    prompt_tokens: int
    completion_tokens: int
    similarity: float


async def nearest(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    agent_id: uuid.UUID,
    version: int,
    embedding_model: str,
    vector: Any,
    source_key: str = "",
) -> CachedAnswer | None:
    """The closest live entry of this partition and source chunk (cosine), with its similarity, or None."""
    await session.execute(text("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)"))
    entry = SemanticCacheEntry
    distance = entry.embedding.cosine_distance(vector).label("distance")
    stmt = (
        select(entry, distance)
        .where(
            entry.tenant_id == tenant_id,
            entry.agent_id == agent_id,
            entry.version == version,
            entry.embedding_model == embedding_model,
            entry.source_key == source_key,
            entry.expires_at > utcnow(),
        )
        .order_by(distance)
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    found, dist = row
    return CachedAnswer(
        id=found.id,
        question=found.question,
        reply=found.reply,
        model=found.model,
        provider=found.provider,
        intent=found.intent,
        cost_usd=found.cost_usd,
        prompt_tokens=found.prompt_tokens,
        completion_tokens=found.completion_tokens,
        similarity=1.0 - float(dist),
    )


async def count_hit(*, session: AsyncSession, tenant_id: uuid.UUID, entry_id: uuid.UUID) -> None:
    stmt = (
        update(SemanticCacheEntry)
        .where(SemanticCacheEntry.tenant_id == tenant_id, SemanticCacheEntry.id == entry_id)
        .values(hits=SemanticCacheEntry.hits + 1)
    )
    await session.execute(stmt)


async def insert(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    agent_id: uuid.UUID,
    version: int,
    embedding_model: str,
    vector: Any,
    ttl: dt.timedelta,
    max_entries: int,
    **fields: Any,
) -> None:
    """Add an entry; now and then (1 insert in ``TRIM_EVERY``) drop the partition's expired entries
    and its oldest beyond ``max_entries``: trimming on every insert would sort the partition each time."""
    now = utcnow()
    session.add(
        SemanticCacheEntry(
            tenant_id=tenant_id,
            agent_id=agent_id,
            version=version,
            embedding_model=embedding_model,
            embedding=list(map(float, vector)),
            expires_at=now + ttl,
            created_at=now,
            **fields,
        )
    )
    await session.flush()
    if random.random() >= 1 / TRIM_EVERY:
        return
    entry = SemanticCacheEntry
    partition = (entry.tenant_id == tenant_id, entry.agent_id == agent_id, entry.version == version)
    overflow = (
        select(entry.id).where(*partition).order_by(entry.created_at.desc()).offset(max_entries).scalar_subquery()
    )
    await session.execute(delete(entry).where(*partition, (entry.expires_at <= now) | entry.id.in_(overflow)))


async def delete_for_agent(*, session: AsyncSession, tenant_id: uuid.UUID, agent_id: uuid.UUID) -> int:
    stmt = delete(SemanticCacheEntry).where(
        SemanticCacheEntry.tenant_id == tenant_id, SemanticCacheEntry.agent_id == agent_id
    )
    result = await session.execute(stmt)
    return affected_rows(result)
