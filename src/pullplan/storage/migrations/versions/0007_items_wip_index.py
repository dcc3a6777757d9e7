"""A covering index for a pull's WIP counts: the grouped count of a board's items in progress
reads the index alone, not every item row

Revision ID: 0007
Revises: 0006
"""

from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

WIP_COLUMNS = ['board_id', 'stage_id', 'archived_at', 'class_of_service', 'lane_id', 'work_type_id', 'owner_id']


def upgrade() -> None:
    # Its first two columns serve every query the index it replaces served.
    op.create_index('ix_items_wip', 'items', WIP_COLUMNS)
    op.drop_index('ix_items_board_stage', table_name='items')


def downgrade() -> None:
    op.create_index('ix_items_board_stage', 'items', ['board_id', 'stage_id'])
    op.drop_index('ix_items_wip', table_name='items')
