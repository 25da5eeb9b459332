"""one delivery per subscription and event

A bus batch handed to the webhook fan-out twice (at-least-once delivery) must not produce a
second delivery of the same event to the same subscriber.

Revision ID: 0009_delivery_dedup
Revises: 0008_saved_reports
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_delivery_dedup"
down_revision: str | None = "0008_saved_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Keep the oldest row of any duplicates that may already exist, then enforce uniqueness.
    op.execute(
        """
        DELETE FROM webhook_deliveries d USING webhook_deliveries e
        WHERE d.subscription_id = e.subscription_id AND d.event_id = e.event_id
          AND (d.created_at, d.id) > (e.created_at, e.id)
        """
    )
    op.create_index(
        "uq_webhook_deliveries_subscription_event",
        "webhook_deliveries",
        ["subscription_id", "event_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_webhook_deliveries_subscription_event", table_name="webhook_deliveries")
