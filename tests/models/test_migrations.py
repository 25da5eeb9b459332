"""Alembic migrations up and down on the real PostgreSQL, and the append-only audit table."""

from __future__ import annotations

import psycopg
import pytest
from alembic.script import ScriptDirectory

from core.services import EmbeddedPostgres
from models.migrate import alembic_config, current, downgrade, upgrade

pytestmark = pytest.mark.postgres

EXPECTED_TABLES = {
    "tenants",
    "users",
    "memberships",
    "api_keys",
    "agents",
    "agent_versions",
    "deployments",
    "knowledge_bases",
    "knowledge_documents",
    "knowledge_chunks",
    "integrations",
    "webhook_subscriptions",
    "webhook_deliveries",
    "budgets",
    "audit_logs",
    "deployment_events",
    "agent_experiments",
}


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {r[0] for r in rows}


def test_down_to_base_and_up_to_head(postgres_server: EmbeddedPostgres) -> None:
    assert _tables(postgres_server.url) >= EXPECTED_TABLES
    downgrade("base")
    assert current() is None
    assert not (EXPECTED_TABLES & _tables(postgres_server.url))
    upgrade("head")
    assert current() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert _tables(postgres_server.url) >= EXPECTED_TABLES


def test_hnsw_index_exists(postgres_server: EmbeddedPostgres) -> None:
    with psycopg.connect(postgres_server.url) as conn:
        indexdef = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_knowledge_chunks_embedding_hnsw'"
        ).fetchone()
    assert indexdef is not None
    assert "hnsw" in indexdef[0] and "vector_cosine_ops" in indexdef[0]


def test_audit_log_rejects_update_and_delete(postgres_server: EmbeddedPostgres) -> None:
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO audit_logs (id, actor_type, actor_label, action, target_type, created_at) "
            "VALUES (gen_random_uuid(), 'system', 'test', 'test.append', 'test', now())"
        )
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("UPDATE audit_logs SET action = 'tampered'")
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("DELETE FROM audit_logs")
