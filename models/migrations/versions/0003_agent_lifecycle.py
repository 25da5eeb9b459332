"""agent lifecycle: rollout step state, deployment history, experiments

Revision ID: 0003
Revises: 0002_knowledge
Create Date: 2026-11-27 10:00:00

Follows the knowledge-base migration (0002_knowledge) so the chain keeps a single head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002_knowledge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column("deployments", sa.Column("step_index", sa.Integer(), server_default="0", nullable=False))
    op.add_column("deployments", sa.Column("step_started_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("deployments", sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_deployments_status", "deployments", ["status"], unique=False)

    op.create_table(
        "deployment_events",
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("deployment_id", sa.Uuid(), nullable=True),
        sa.Column("environment", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("to_version", sa.Integer(), nullable=True),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_type", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor_label", sa.String(length=320), nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_deployment_events_agent_id_agents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_deployment_events_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployment_events")),
    )
    op.create_index("ix_deployment_events_agent_time", "deployment_events", ["agent_id", "created_at"], unique=False)
    op.create_index(op.f("ix_deployment_events_tenant_id"), "deployment_events", ["tenant_id"], unique=False)

    op.create_table(
        "agent_experiments",
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("hypothesis", sa.Text(), nullable=False),
        sa.Column("environment", sa.String(length=20), nullable=False),
        sa.Column("variants", JSON, nullable=False),
        sa.Column("primary_metric", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("winner_version", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stop_reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_agent_experiments_agent_id_agents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_agent_experiments_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_experiments")),
    )
    op.create_index(op.f("ix_agent_experiments_agent_id"), "agent_experiments", ["agent_id"], unique=False)
    op.create_index(op.f("ix_agent_experiments_tenant_id"), "agent_experiments", ["tenant_id"], unique=False)
    op.create_index(
        "uq_agent_experiments_running",
        "agent_experiments",
        ["agent_id", "environment"],
        unique=True,
        postgresql_where=sa.text("status = 'running'"),
    )


def downgrade() -> None:
    op.drop_index("uq_agent_experiments_running", table_name="agent_experiments")
    op.drop_index(op.f("ix_agent_experiments_tenant_id"), table_name="agent_experiments")
    op.drop_index(op.f("ix_agent_experiments_agent_id"), table_name="agent_experiments")
    op.drop_table("agent_experiments")
    op.drop_index(op.f("ix_deployment_events_tenant_id"), table_name="deployment_events")
    op.drop_index("ix_deployment_events_agent_time", table_name="deployment_events")
    op.drop_table("deployment_events")
    op.drop_index("ix_deployments_status", table_name="deployments")
    op.drop_column("deployments", "finished_at")
    op.drop_column("deployments", "step_started_at")
    op.drop_column("deployments", "step_index")
