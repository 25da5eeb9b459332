"""saved report definitions with a delivery schedule

Revision ID: 0008_saved_reports
Revises: 0007_integration_hub
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008_saved_reports"
down_revision: str | None = "0007_integration_hub"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "saved_reports",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("schedule", sa.String(length=10), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_saved_reports_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_reports")),
    )
    op.create_index(op.f("ix_saved_reports_tenant_id"), "saved_reports", ["tenant_id"], unique=False)
    op.create_index("ix_saved_reports_next_run_at", "saved_reports", ["next_run_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_saved_reports_next_run_at", table_name="saved_reports")
    op.drop_index(op.f("ix_saved_reports_tenant_id"), table_name="saved_reports")
    op.drop_table("saved_reports")
