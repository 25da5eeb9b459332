"""one channel vocabulary: connector names stored as channels become channels

Producers used to report the connector (``twilio``, ``web_widget``) as the channel while
agents declared the channel (``sms``, ``web``), so one channel showed up as two. Rows that
store a channel value are rewritten: a saved report's channel filter, and an agent's
declared channels (validated against the vocabulary since they exist, so normally clean;
rewritten anyway, order kept and duplicates merged). ClickHouse rows are migrated by
``analytics.schema.unify_channels``.

The mapping is spelled here rather than imported from ``core.channels``: a migration must
keep doing what it did when it was written.

Revision ID: 0010_channel_vocabulary
Revises: 0009_delivery_dedup
Create Date: 2026-12-14
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_channel_vocabulary"
down_revision: str | None = "0009_delivery_dedup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _renamed(value: str) -> str:
    return f"CASE {value} WHEN 'twilio' THEN 'sms' WHEN 'web_widget' THEN 'web' ELSE {value} END"


def upgrade() -> None:
    report_channel = "definition #>> '{filters,channel}'"
    op.execute(
        f"""
        UPDATE saved_reports
        SET definition = jsonb_set(
            definition, '{{filters,channel}}', to_jsonb({_renamed(report_channel)})
        )
        WHERE {report_channel} IN ('twilio', 'web_widget')
        """
    )
    op.execute(
        f"""
        UPDATE agents
        SET channels = (
            SELECT coalesce(jsonb_agg(renamed.channel ORDER BY renamed.first), '[]'::jsonb)
            FROM (
                SELECT {_renamed("value")} AS channel, min(ordinality) AS first
                FROM jsonb_array_elements_text(agents.channels) WITH ORDINALITY
                GROUP BY 1
            ) AS renamed
        )
        WHERE jsonb_typeof(channels) = 'array' AND channels ?| array['twilio', 'web_widget']
        """
    )


def downgrade() -> None:
    # The old values were synonyms of the new ones: nothing to restore.
    pass
