"""The promise cycle: handoffs between people and teams

Revision ID: 0006
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('handoffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('requesting_item_id', sa.Integer(), nullable=False),
    sa.Column('linked_item_id', sa.Integer(), nullable=True),
    sa.Column('performer_board_id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=True),
    sa.Column('performer_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('counter_due_date', sa.Date(), nullable=True),
    sa.Column('counter_conditions', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('blocker_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_handoffs_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requesting_item_id'], ['items.id'], name=op.f('fk_handoffs_requesting_item_id_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['linked_item_id'], ['items.id'], name=op.f('fk_handoffs_linked_item_id_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['performer_board_id'], ['boards.id'], name=op.f('fk_handoffs_performer_board_id_boards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_handoffs_requester_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['performer_id'], ['users.id'], name=op.f('fk_handoffs_performer_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['blocker_id'], ['blockers.id'], name=op.f('fk_handoffs_blocker_id_blockers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoffs'))
    )
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.create_index('ix_handoffs_workspace_status', ['workspace_id', 'status'], unique=False)
        batch_op.create_index('ix_handoffs_requesting_item', ['requesting_item_id'], unique=False)
        batch_op.create_index('ix_handoffs_linked_item', ['linked_item_id'], unique=False)

    op.create_table('handoff_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handoff_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('step', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('conditions', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'], name=op.f('fk_handoff_steps_handoff_id_handoffs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_handoff_steps_actor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff_steps'))
    )
    with op.batch_alter_table('handoff_steps', schema=None) as batch_op:
        batch_op.create_index('ix_handoff_steps_handoff', ['handoff_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('handoff_steps', schema=None) as batch_op:
        batch_op.drop_index('ix_handoff_steps_handoff')
    op.drop_table('handoff_steps')
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_index('ix_handoffs_linked_item')
        batch_op.drop_index('ix_handoffs_requesting_item')
        batch_op.drop_index('ix_handoffs_workspace_status')
    op.drop_table('handoffs')
