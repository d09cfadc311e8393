"""close schema: close runs, their checklist steps, reconciliation differences and accruals.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import Text

from migrations.privileges import grant_app_role

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the record-to-report tables and grant the app role."""
    op.create_table('close_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('trigger', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_seconds', sa.Numeric(precision=20, scale=4), nullable=True),
    sa.Column('signed_off_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('statements', postgresql.JSONB(astext_type=Text()), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('running','awaiting_signoff','closed','failed')", name='close_run_status'),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entity_id', 'period', name='close_run_key')
    )
    op.create_table('close_accrual',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('expense_role', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('amount', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('reversal_entry_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('requested','posted')", name='close_accrual_status'),
    sa.CheckConstraint('amount > 0', name='close_accrual_positive'),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], ),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entry.id'], ),
    sa.ForeignKeyConstraint(['reversal_entry_id'], ['journal_entry.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entity_id', 'period', 'n', name='close_accrual_key')
    )
    op.create_table('close_difference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('check_name', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('subledger', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('control', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('difference', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('documents', postgresql.JSONB(astext_type=Text()), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['close_run.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'round', 'check_name', name='close_difference_key')
    )
    op.create_index(op.f('ix_close_difference_run_id'), 'close_difference', ['run_id'], unique=False)
    op.create_table('close_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('step', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('details', postgresql.JSONB(astext_type=Text()), nullable=False),
    sa.CheckConstraint("outcome IN ('ok','differences','sent_back','approved','skipped','failed')", name='close_step_outcome'),
    sa.ForeignKeyConstraint(['run_id'], ['close_run.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'round', 'step', name='close_step_key')
    )
    op.create_index(op.f('ix_close_step_run_id'), 'close_step', ['run_id'], unique=False)
    grant_app_role()


def downgrade() -> None:
    """Drop the record-to-report tables."""
    op.drop_index(op.f('ix_close_step_run_id'), table_name='close_step')
    op.drop_table('close_step')
    op.drop_index(op.f('ix_close_difference_run_id'), table_name='close_difference')
    op.drop_table('close_difference')
    op.drop_table('close_accrual')
    op.drop_table('close_run')
