"""An index for a stage's items in the order they entered it: a board's page of a done or
discarded stage reads its first rows instead of scanning every item and sorting them

Revision ID: 0008
Revises: 0007
"""

from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_items_stage_entered', 'items', ['stage_id', 'archived_at', 'stage_entered_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_items_stage_entered', table_name='items')
