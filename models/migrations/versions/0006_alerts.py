"""alert rules and alerts (one open alert per fingerprint)

Revision ID: 0006_alerts
Revises: 0005_semantic_cache
Create Date: 2026-11-29 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_alerts"
down_revision: str | None = "0005_semantic_cache"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("metrics", JSON, nullable=False),
        sa.Column("op", sa.String(length=2), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("agent_id", sa.String(length=200), nullable=True),
        sa.Column("for_minutes", sa.Integer(), nullable=False),
        sa.Column("sensitivity", sa.String(length=10), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_alert_rules_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
    )
    op.create_index(op.f("ix_alert_rules_tenant_id"), "alert_rules", ["tenant_id"], unique=False)
    op.create_table(
        "alerts",
        sa.Column("rule_id", sa.Uuid(), nullable=True),
        sa.Column("fingerprint", sa.String(length=300), nullable=False),
        sa.Column("group_key", sa.String(length=300), nullable=False),
        sa.Column("agent_id", sa.String(length=200), nullable=False),
        sa.Column("metric", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("details", JSON, nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=320), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["alert_rules.id"], name=op.f("fk_alerts_rule_id_alert_rules"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_alerts_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(op.f("ix_alerts_tenant_id"), "alerts", ["tenant_id"], unique=False)
    op.create_index("ix_alerts_tenant_created", "alerts", ["tenant_id", "created_at", "id"], unique=False)
    op.create_index(
        "uq_alerts_open_fingerprint",
        "alerts",
        ["tenant_id", "fingerprint"],
        unique=True,
        postgresql_where=sa.text("state <> 'resolved'"),
    )


def downgrade() -> None:
    op.drop_index("uq_alerts_open_fingerprint", table_name="alerts")
    op.drop_index("ix_alerts_tenant_created", table_name="alerts")
    op.drop_index(op.f("ix_alerts_tenant_id"), table_name="alerts")
    op.drop_table("alerts")
    op.drop_index(op.f("ix_alert_rules_tenant_id"), table_name="alert_rules")
    op.drop_table("alert_rules")
