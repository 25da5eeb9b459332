"""Every Redis key the platform writes, built in one place.

Why one module: a key written by one process (the ingest worker's backlog figure) is read by
another (``/pipeline``, the event intake's back-pressure); spelled twice, the two drift apart
silently. Here each key has one builder, and a reader of this file sees the whole keyspace:
what lives in Redis, how it is scoped and which keys share a Redis Cluster hash slot (the
``{tenant}`` hash tags that let a Lua script touch several keys of one tenant).
"""

from __future__ import annotations

import uuid

Id = uuid.UUID | str

# --- event bus and ingest -------------------------------------------------------------------
BUS_STREAM_PREFIX = "va:bus:"  # + topic: one Redis Stream per topic
INGEST_LAG = "va:ingest:lag"  # total backlog of the ingest group, written by the worker
INGEST_LAG_TOPICS = "va:ingest:lag:topics"  # hash: backlog per topic


def bus_stream(topic: str) -> str:
    return f"{BUS_STREAM_PREFIX}{topic}"


def ingest_manifest(group: str, topic: str) -> str:
    """Prefix of the ingest worker's write manifests (exactly-once across crashes)."""
    return f"va:ingest:{group}:{topic}"


def event_seen_prefix(tenant_id: Id) -> bytes:
    """Prefix of the ingest dedup window's claims of one tenant: ``+ event id (16 raw bytes)``
    -> the insert token that owns the event. ``{tenant}`` keeps one tenant's claims in one
    cluster slot, so a single script claims a whole batch of that tenant."""
    return f"va:seen:{{{tenant_id}}}:".encode()


# --- API gateway ------------------------------------------------------------------------------
def idempotency(digest: str) -> str:
    return f"va:idem:{digest}"


def rate_limit(shard: str, scope: str) -> str:
    """Base of a rate-limit window key; ``{shard}`` keeps a check's keys in one cluster slot."""
    return f"va:rl:{{{shard}}}:{scope}"


# --- identity ---------------------------------------------------------------------------------
def api_key_record(prefix: str) -> str:
    return f"va:apikey:{prefix}"


def api_key_used(key_id: Id) -> str:
    return f"va:apikey-used:{key_id}"


def session(token_hash: str) -> str:
    return f"va:sess:{token_hash}"


def mfa_challenge(token_hash: str) -> str:
    return f"va:mfa:{token_hash}"


def totp_used(user_id: Id, step: int) -> str:
    return f"va:totp-used:{user_id}:{step}"


# --- agents and conversations -----------------------------------------------------------------
def agent_route(tenant_id: Id, agent_id: Id, environment: str) -> str:
    return f"va:agents:route:{tenant_id}:{agent_id}:{environment}"


def agent_pin(agent_id: Id, environment: str, conversation_id: str) -> str:
    return f"va:agents:pin:{agent_id}:{environment}:{conversation_id}"


def answer_cache_entry(tenant_id: Id, agent_id: Id, version: int, digest: str) -> str:
    return f"va:chatcache:x:{tenant_id}:{agent_id}:{version}:{digest}"


def answer_cache_index(tenant_id: Id, agent_id: Id) -> str:
    return f"va:chatcache:idx:{tenant_id}:{agent_id}"


def conversation_context(tenant_id: Id, agent_id: Id, environment: str, conversation_id: str) -> str:
    return f"va:conv:{tenant_id}:{agent_id}:{environment}:{conversation_id}"


# --- LLM router and budgets (hash-tagged by tenant: one Lua script reserves across them) -----
LLM_LATENCY_EWMA = "va:llm:latency_ewma"  # hash shared by every replica


def llm_budget_rules(tenant_id: Id) -> str:
    return f"va:llm:{{{tenant_id}}}:budget_rules"


def llm_budget_prefix(tenant_id: Id) -> str:
    return f"va:llm:{{{tenant_id}}}:b:"


def llm_usage(tenant_id: Id, kind: str, period_id: str) -> str:
    return f"va:llm:{{{tenant_id}}}:usage:{kind}:{period_id}"


# --- integrations -----------------------------------------------------------------------------
def inbound_seen(integration_id: Id, event_id: str) -> str:
    """A provider's event id already accepted (webhook retries are answered, not re-enqueued)."""
    return f"va:integ:seen:{integration_id}:{event_id}"


def inbound_done(event_id: str) -> str:
    return f"va:integ:done:{event_id}"


def handoff_claim(event_id: str, integration_id: Id) -> str:
    return f"va:integ:handoff:{event_id}:{integration_id}"
