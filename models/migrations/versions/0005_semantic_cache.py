"""semantic answer cache (pgvector), keyed by tenant, agent and version

Revision ID: 0005_semantic_cache
Revises: 0004_llm
Create Date: 2026-11-28 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector

revision: str = "0005_semantic_cache"
down_revision: str | None = "0004_llm"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "semantic_cache_entries",
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("embedding_model", sa.String(length=100), nullable=False),
        sa.Column("embedding", Vector(384), nullable=False),
        sa.Column("source_key", sa.String(length=100), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=100), nullable=False),
        sa.Column("intent", sa.String(length=100), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_semantic_cache_entries_agent_id_agents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_semantic_cache_entries_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_semantic_cache_entries")),
    )
    op.create_index(
        "ix_semantic_cache_partition",
        "semantic_cache_entries",
        ["tenant_id", "agent_id", "version", "embedding_model", "source_key"],
        unique=False,
    )
    op.create_index(
        op.f("ix_semantic_cache_entries_tenant_id"), "semantic_cache_entries", ["tenant_id"], unique=False
    )
    op.create_index(
        "ix_semantic_cache_embedding_hnsw",
        "semantic_cache_entries",
        ["embedding"],
        unique=False,
        postgresql_using="hnsw",
        postgresql_with={"m": 16, "ef_construction": 64},
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_semantic_cache_embedding_hnsw", table_name="semantic_cache_entries")
    op.drop_index(op.f("ix_semantic_cache_entries_tenant_id"), table_name="semantic_cache_entries")
    op.drop_index("ix_semantic_cache_partition", table_name="semantic_cache_entries")
    op.drop_table("semantic_cache_entries")
