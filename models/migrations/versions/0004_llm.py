"""llm: provider credentials (encrypted), model overrides/custom models, one budget per scope+period

Revision ID: 0004_llm
Revises: 0003
Create Date: 2026-11-28 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_llm"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "provider_credentials",
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("wire", sa.String(length=20), nullable=False),
        sa.Column("api_key_enc", sa.Text(), nullable=True),
        sa.Column("base_url", sa.String(length=2000), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_provider_credentials_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_credentials")),
        sa.UniqueConstraint("tenant_id", "provider", name="uq_provider_credentials_tenant_provider"),
    )
    op.create_index(op.f("ix_provider_credentials_tenant_id"), "provider_credentials", ["tenant_id"], unique=False)

    op.create_table(
        "llm_models",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=True),
        sa.Column("upstream", sa.String(length=200), nullable=True),
        sa.Column("context_window", sa.Integer(), nullable=True),
        sa.Column("max_output_tokens", sa.Integer(), nullable=True),
        sa.Column("input_per_1k", sa.Float(), nullable=True),
        sa.Column("output_per_1k", sa.Float(), nullable=True),
        sa.Column("tier", sa.String(length=20), nullable=True),
        sa.Column("capabilities", JSON, nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_llm_models_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_models")),
        sa.UniqueConstraint("tenant_id", "name", name="uq_llm_models_tenant_name"),
    )
    op.create_index(op.f("ix_llm_models_tenant_id"), "llm_models", ["tenant_id"], unique=False)

    # One budget per (tenant, scope, scope id, period): a second one would make "remaining" ambiguous.
    op.create_index(
        "uq_budgets_scope_period",
        "budgets",
        ["tenant_id", "scope", sa.text("coalesce(scope_id, '')"), "period"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_budgets_scope_period", table_name="budgets")
    op.drop_index(op.f("ix_llm_models_tenant_id"), table_name="llm_models")
    op.drop_table("llm_models")
    op.drop_index(op.f("ix_provider_credentials_tenant_id"), table_name="provider_credentials")
    op.drop_table("provider_credentials")
