"""Aggregates and split templates, workspace LRM settings

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lrm_settings',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('default_percentile', sa.Integer(), nullable=False),
    sa.Column('class_percentiles', sa.JSON(), nullable=False),
    sa.Column('cadence_days', sa.Integer(), nullable=False),
    sa.Column('class_buffers', sa.JSON(), nullable=False),
    sa.Column('lookahead_days', sa.Integer(), nullable=False),
    sa.Column('use_working_days', sa.Boolean(), nullable=False),
    sa.Column('working_days', sa.JSON(), nullable=False),
    sa.Column('holidays', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_lrm_settings_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workspace_id', name=op.f('pk_lrm_settings'))
    )
    op.create_table('split_template_children',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_type_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('child_work_type_id', sa.Integer(), nullable=True),
    sa.Column('stage_name', sa.String(length=60), nullable=True),
    sa.Column('offset_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['child_work_type_id'], ['work_types.id'], name=op.f('fk_split_template_children_child_work_type_id_work_types'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['work_type_id'], ['work_types.id'], name=op.f('fk_split_template_children_work_type_id_work_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_split_template_children')),
    sa.UniqueConstraint('work_type_id', 'position', name=op.f('uq_split_template_children_work_type_id'))
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index('ix_items_parent_id', ['parent_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index('ix_items_parent_id')
    op.drop_table('split_template_children')
    op.drop_table('lrm_settings')
