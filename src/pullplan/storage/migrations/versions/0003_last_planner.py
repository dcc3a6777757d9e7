"""Last Planner: milestones, pull plans, constraints, weekly plans, check-ins, reasons for variance, learning cycles

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('closed_weeks',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['closed_by'], ['users.id'], name=op.f('fk_closed_weeks_closed_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_closed_weeks_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workspace_id', 'week', name=op.f('pk_closed_weeks'))
    )
    op.create_table('lookahead_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_lookahead_snapshots_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lookahead_snapshots')),
    sa.UniqueConstraint('workspace_id', 'week', name=op.f('uq_lookahead_snapshots_workspace_id'))
    )
    op.create_table('milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_milestones_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_milestones_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestones'))
    )
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestones_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('planner_settings',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('lookahead_weeks', sa.Integer(), nullable=False),
    sa.Column('lag_weeks', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_planner_settings_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workspace_id', name=op.f('pk_planner_settings'))
    )
    op.create_table('lookahead_snapshot_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('task', sa.String(length=24), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('performer_id', sa.Integer(), nullable=True),
    sa.Column('team', sa.String(length=60), nullable=False),
    sa.Column('ready', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['performer_id'], ['users.id'], name=op.f('fk_lookahead_snapshot_tasks_performer_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['snapshot_id'], ['lookahead_snapshots.id'], name=op.f('fk_lookahead_snapshot_tasks_snapshot_id_lookahead_snapshots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lookahead_snapshot_tasks'))
    )
    with op.batch_alter_table('lookahead_snapshot_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lookahead_snapshot_tasks_snapshot_id'), ['snapshot_id'], unique=False)

    op.create_table('plan_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('performer_id', sa.Integer(), nullable=True),
    sa.Column('team', sa.String(length=60), nullable=False),
    sa.Column('customer', sa.String(length=120), nullable=False),
    sa.Column('duration_days', sa.Integer(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'], name=op.f('fk_plan_tasks_milestone_id_milestones'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['performer_id'], ['users.id'], name=op.f('fk_plan_tasks_performer_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_plan_tasks_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_tasks'))
    )
    with op.batch_alter_table('plan_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_tasks_milestone_id'), ['milestone_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_tasks_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('plan_task_links',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('predecessor_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['predecessor_id'], ['plan_tasks.id'], name=op.f('fk_plan_task_links_predecessor_id_plan_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['plan_tasks.id'], name=op.f('fk_plan_task_links_task_id_plan_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'predecessor_id', name=op.f('pk_plan_task_links'))
    )
    op.create_table('plan_constraints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('plan_task_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('need_by', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_plan_constraints_item_id_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_plan_constraints_owner_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_task_id'], ['plan_tasks.id'], name=op.f('fk_plan_constraints_plan_task_id_plan_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_plan_constraints_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_constraints'))
    )
    with op.batch_alter_table('plan_constraints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_constraints_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_constraints_plan_task_id'), ['plan_task_id'], unique=False)
        batch_op.create_index('ix_plan_constraints_workspace_status', ['workspace_id', 'status'], unique=False)

    op.create_table('promises',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('plan_task_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('performer_id', sa.Integer(), nullable=True),
    sa.Column('team', sa.String(length=60), nullable=False),
    sa.Column('promised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('added_later', sa.Boolean(), nullable=False),
    sa.Column('ready', sa.Boolean(), nullable=False),
    sa.Column('override_reason', sa.String(length=500), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('five_whys', sa.JSON(), nullable=False),
    sa.Column('outcome_note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_promises_item_id_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['performer_id'], ['users.id'], name=op.f('fk_promises_performer_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_task_id'], ['plan_tasks.id'], name=op.f('fk_promises_plan_task_id_plan_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_promises_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promises')),
    sa.UniqueConstraint('week', 'item_id', name='uq_promises_week_item_id'),
    sa.UniqueConstraint('week', 'plan_task_id', name='uq_promises_week_plan_task_id')
    )
    with op.batch_alter_table('promises', schema=None) as batch_op:
        batch_op.create_index('ix_promises_workspace_week', ['workspace_id', 'week'], unique=False)

    op.create_table('check_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('promise_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_check_ins_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['promise_id'], ['promises.id'], name=op.f('fk_check_ins_promise_id_promises'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_ins'))
    )
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_ins_promise_id'), ['promise_id'], unique=False)

    op.create_table('learning_cycles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=4), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('plan', sa.Text(), nullable=False),
    sa.Column('do', sa.Text(), nullable=False),
    sa.Column('check', sa.Text(), nullable=False),
    sa.Column('act', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('constraint_id', sa.Integer(), nullable=True),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['constraint_id'], ['plan_constraints.id'], name=op.f('fk_learning_cycles_constraint_id_plan_constraints'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_learning_cycles_owner_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_learning_cycles_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learning_cycles'))
    )
    with op.batch_alter_table('learning_cycles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learning_cycles_workspace_id'), ['workspace_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('learning_cycles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learning_cycles_workspace_id'))
    op.drop_table('learning_cycles')
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_ins_promise_id'))
    op.drop_table('check_ins')
    with op.batch_alter_table('promises', schema=None) as batch_op:
        batch_op.drop_index('ix_promises_workspace_week')
    op.drop_table('promises')
    with op.batch_alter_table('plan_constraints', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_constraints_workspace_status')
        batch_op.drop_index(batch_op.f('ix_plan_constraints_plan_task_id'))
        batch_op.drop_index(batch_op.f('ix_plan_constraints_item_id'))
    op.drop_table('plan_constraints')
    op.drop_table('plan_task_links')
    with op.batch_alter_table('plan_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_tasks_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_plan_tasks_milestone_id'))
    op.drop_table('plan_tasks')
    with op.batch_alter_table('lookahead_snapshot_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lookahead_snapshot_tasks_snapshot_id'))
    op.drop_table('lookahead_snapshot_tasks')
    op.drop_table('planner_settings')
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestones_workspace_id'))
    op.drop_table('milestones')
    op.drop_table('lookahead_snapshots')
    op.drop_table('closed_weeks')
