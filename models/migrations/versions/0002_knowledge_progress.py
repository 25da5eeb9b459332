"""knowledge documents: ingestion progress and the model of their vectors

Revision ID: 0002_knowledge
Revises: 0001
Create Date: 2026-11-26 05:00:00

0003 (agent lifecycle) follows this one: 0001 -> 0002_knowledge -> 0003.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002_knowledge'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('knowledge_documents', sa.Column('progress', sa.Float(), server_default='0', nullable=False))
    op.add_column('knowledge_documents', sa.Column('embedding_model', sa.String(length=100), nullable=True))


def downgrade() -> None:
    op.drop_column('knowledge_documents', 'embedding_model')
    op.drop_column('knowledge_documents', 'progress')
