"""integration hub: sync counters on integrations, delivery timing and a due-deliveries index

Revision ID: 0007_integration_hub
Revises: 0006_alerts
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_integration_hub"
down_revision: str | None = "0006_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("integrations", sa.Column("error_count", sa.Integer(), server_default="0", nullable=False))
    op.add_column("integrations", sa.Column("events_received", sa.Integer(), server_default="0", nullable=False))
    op.add_column("integrations", sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("webhook_subscriptions", sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("webhook_deliveries", sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
    # The delivery worker asks "what is due now" every tick: keep that an index range scan.
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_column("webhook_deliveries", "delivered_at")
    op.drop_column("webhook_subscriptions", "last_success_at")
    op.drop_column("integrations", "last_event_at")
    op.drop_column("integrations", "events_received")
    op.drop_column("integrations", "error_count")
