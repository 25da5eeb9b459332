"""Answer caches: exact (Redis) and semantic (pgvector), never shared across tenants or versions.

* **Exact**: the key hashes tenant, agent, version, the normalised (PII-masked) question and a
  context scope. A question that refers back ("and what about breakfast?", "is it free?")
  depends on the previous answer, so its scope is a hash of that answer; a standalone
  question has an empty scope and is shared across conversations of the same version.
* **Semantic**: standalone questions only. The question's embedding is compared with earlier
  answered questions of the same tenant, agent and version *that were grounded in the same
  top knowledge chunk*; at or above ``chat.semantic_cache_threshold`` (cosine) the earlier
  answer is reused. Similarity alone cannot tell "what time is check-in?" from "what time is
  check-out?" (0.87 with MiniLM, while true paraphrases score 0.75-0.97); the shared source
  chunk can, so a grounded agent may use a lower threshold (more hits) than an agent without
  knowledge (``chat.semantic_cache_threshold_ungrounded``).
* **Same meaning** (:mod:`cache_match`): similarity cannot tell "order 7781" from "order 7782"
  either, so a hit must also share the question's *meaning key*: its numbers, dates, names,
  negation and polar words. The key is part of the partition a lookup searches (stored in
  ``source_key`` next to the top chunk), so the nearest entry is always one with the same key.
* **Who gets semantic hits**: the version's ``guardrails.semantic_cache``: ``auto`` (default:
  agents with knowledge only, since without a source chunk only similarity and the meaning key
  vouch for a hit), ``on`` (also without knowledge) or ``off``.

Only ``answered`` turns are cached: non-answers (``unanswered``), PII, handoffs, refusals,
errors, low-confidence and ungrounded replies never are. Deploying or rolling back an agent
drops all of its cached answers (:func:`invalidate_agent`): a new deployment often comes with
new knowledge, and a version rolled back to should not serve answers remembered from before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import unicodedata
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import orjson

from core import cache as redis_cache
from core import db, keys
from core.config import get_settings
from models.repositories import semantic_cache as repo
from va_app.domain.agents.versions import VersionInfo
from va_app.domain.conversations.cache_match import meaning_key

log = logging.getLogger(__name__)

# Words that make a question lean on what was said before.
_ANAPHORA = re.compile(
    r"\b(it|its|it's|that|this|these|those|them|they|their|there|he|she|him|her|also|too|else|same|"
    r"again|instead|previous|earlier)\b|^\s*(and|but|or|so|what about|how about)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class CachedReply:
    reply: str
    model: str
    provider: str
    intent: str
    cost_usd: float  # what the original answer cost: the saving of every hit
    prompt_tokens: int
    completion_tokens: int
    kind: str = "exact"
    similarity: float = 1.0

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes) -> CachedReply:
        return cls(**orjson.loads(raw))


def normalise(text: str) -> str:
    """Case, accents' composition, punctuation and spacing do not change a question."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[^\w\s\[\]]", " ", text)
    return " ".join(text.split())


def is_standalone(message: str) -> bool:
    """False when the question refers to earlier turns (pronouns, follow-up openers, a fragment)."""
    words = normalise(message).split()
    return len(words) >= 3 and not _ANAPHORA.search(message)


def context_scope(message: str, last_reply: str) -> str:
    """ "" for a standalone question (or a first turn), else a hash of the answer it follows."""
    if not last_reply or is_standalone(message):
        return ""
    return hashlib.blake2b(normalise(last_reply).encode(), digest_size=12).hexdigest()


def exact_key(tenant_id: uuid.UUID | str, agent_id: str, version: int, message: str, scope: str = "") -> str:
    """Tenant, agent and version are in the key in clear and in the hash: no two can collide."""
    material = "\x1f".join((str(tenant_id), str(agent_id), str(version), normalise(message), scope))
    digest = hashlib.sha256(material.encode()).hexdigest()
    return keys.answer_cache_entry(tenant_id, agent_id, version, digest)


def _index_key(tenant_id: uuid.UUID | str, agent_id: str) -> str:
    return keys.answer_cache_index(tenant_id, agent_id)


async def get_exact(key: str) -> CachedReply | None:
    raw = await redis_cache.get_redis().get(key)
    return CachedReply.from_json(raw) if raw else None


async def put_exact(tenant_id: uuid.UUID | str, agent_id: str, key: str, value: CachedReply) -> None:
    """Store with the TTL from settings and remember the key for :func:`invalidate_agent`."""
    ttl = get_settings().chat.exact_cache_ttl_s
    index = _index_key(tenant_id, agent_id)
    async with redis_cache.get_redis().pipeline(transaction=False) as pipe:
        pipe.set(key, value.to_json(), ex=ttl)
        pipe.sadd(index, key)
        pipe.expire(index, ttl)
        await pipe.execute()


def semantic_allowed(version: VersionInfo) -> bool:
    """The version's ``guardrails.semantic_cache``: auto = only with knowledge, on, off."""
    setting = str(version.guardrails.get("semantic_cache") or "auto")
    return setting == "on" or (setting == "auto" and bool(version.knowledge_base_ids))


def partition_key(source_key: str, question: str) -> str:
    """What a semantic hit must share exactly: the top chunk and the question's meaning key."""
    return f"{source_key}|{meaning_key(question)}"


def semantic_threshold(source_key: str) -> float:
    settings = get_settings().chat
    return settings.semantic_cache_threshold if source_key else settings.semantic_cache_threshold_ungrounded


async def get_semantic(
    tenant_id: uuid.UUID,
    agent_id: str,
    version: int,
    model: str,
    vector: np.ndarray,
    source_key: str = "",
    *,
    question: str,
) -> CachedReply | None:
    async with db.session_scope() as session:
        found = await repo.nearest(
            session=session,
            tenant_id=tenant_id,
            agent_id=uuid.UUID(agent_id),
            version=version,
            embedding_model=model,
            vector=vector,
            source_key=partition_key(source_key, question),
        )
        if found is None or found.similarity < semantic_threshold(source_key):
            return None
        await repo.count_hit(session=session, tenant_id=tenant_id, entry_id=found.id)
    return CachedReply(
        reply=found.reply,
        model=found.model,
        provider=found.provider,
        intent=found.intent,
        cost_usd=found.cost_usd,
        prompt_tokens=found.prompt_tokens,
        completion_tokens=found.completion_tokens,
        kind="semantic",
        similarity=round(found.similarity, 4),
    )


async def put_semantic(
    tenant_id: uuid.UUID,
    agent_id: str,
    version: int,
    model: str,
    vector: np.ndarray,
    question: str,
    value: CachedReply,
    source_key: str = "",
) -> None:
    settings = get_settings().chat
    fields: dict[str, Any] = {
        "source_key": partition_key(source_key, question),
        "question": normalise(question),
        "reply": value.reply,
        "model": value.model,
        "provider": value.provider,
        "intent": value.intent,
        "cost_usd": value.cost_usd,
        "prompt_tokens": value.prompt_tokens,
        "completion_tokens": value.completion_tokens,
    }
    async with db.session_scope() as session:
        await repo.insert(
            session=session,
            tenant_id=tenant_id,
            agent_id=uuid.UUID(agent_id),
            version=version,
            embedding_model=model,
            vector=vector,
            ttl=dt.timedelta(seconds=settings.semantic_cache_ttl_s),
            max_entries=settings.semantic_cache_max_entries,
            **fields,
        )


async def invalidate_agent(tenant_id: uuid.UUID | str, agent_id: uuid.UUID | str) -> None:
    """Forget every cached answer of an agent (all versions). Called after a deploy or rollback.

    Never raises: a cache outage must not turn a committed deployment into an error; the
    entries then expire by TTL.
    """
    try:
        redis = redis_cache.get_redis()
        index = _index_key(tenant_id, str(agent_id))
        keys = await redis.smembers(index)  # type: ignore[misc]
        await redis.delete(index, *keys)
        async with db.session_scope() as session:
            await repo.delete_for_agent(
                session=session,
                tenant_id=tenant_id if isinstance(tenant_id, uuid.UUID) else uuid.UUID(tenant_id),
                agent_id=agent_id if isinstance(agent_id, uuid.UUID) else uuid.UUID(agent_id),
            )
    except Exception:
        log.exception("could not invalidate cached answers", extra={"agent_id": str(agent_id)})
