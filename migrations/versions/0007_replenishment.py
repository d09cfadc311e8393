"""replenishment schema: planning settings and parameters, category budgets, daily runs with suggestions
and draft POs, transfer orders, cycle counts, the sales-by-day index and the document number sequences.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.privileges import grant_app_role

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "cycle_count_line",
    "cycle_count",
    "transfer_order_line",
    "transfer_order",
    "replenishment_draft",
    "replenishment_suggestion",
    "replenishment_run",
    "category_budget",
    "replenishment_param",
    "replenishment_setting",
)


def upgrade() -> None:
    """Create the replenishment tables, the index and the sequences, then grant the app role."""
    op.create_table('category_budget',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('amount', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entity_id', 'category', 'period', name='category_budget_key')
    )
    op.create_table('replenishment_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('run_date', sa.Date(), nullable=False),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('item_locations', sa.Integer(), nullable=False),
    sa.Column('suggestions', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entity_id', 'run_date', name='replenishment_run_key')
    )
    op.create_table('replenishment_setting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('service_level', sa.Numeric(precision=6, scale=4), nullable=False),
    sa.Column('review_days', sa.Integer(), nullable=False),
    sa.Column('history_days', sa.Integer(), nullable=False),
    sa.Column('lead_history_days', sa.Integer(), nullable=False),
    sa.Column('buyer_role', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('score_threshold', sa.Numeric(precision=6, scale=4), nullable=False),
    sa.Column('score_role', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('score_window_days', sa.Integer(), nullable=False),
    sa.CheckConstraint('history_days > 1 AND lead_history_days > 0', name='replenishment_setting_days'),
    sa.CheckConstraint('service_level > 0 AND service_level < 1', name='replenishment_setting_level'),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entity_id')
    )
    op.create_table('cycle_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('counted_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('counted_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('open','posted','cancelled')", name='cycle_count_status'),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], ),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    op.create_index(op.f('ix_cycle_count_entity_id'), 'cycle_count', ['entity_id'], unique=False)
    op.create_table('replenishment_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('po_number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('total_func', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('over_budget', sa.Boolean(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('po_input', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('budget', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.CheckConstraint("status IN ('planned','awaiting_buyer','started','rejected')", name='replenishment_draft_status'),
    sa.ForeignKeyConstraint(['run_id'], ['replenishment_run.id'], ),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('po_number'),
    sa.UniqueConstraint('run_id', 'supplier_id', name='replenishment_draft_key')
    )
    op.create_index(op.f('ix_replenishment_draft_run_id'), 'replenishment_draft', ['run_id'], unique=False)
    op.create_table('replenishment_param',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('service_level', sa.Numeric(precision=6, scale=4), nullable=True),
    sa.Column('min_order_qty', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('review_days', sa.Integer(), nullable=True),
    sa.Column('reorder_enabled', sa.Boolean(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('min_order_qty >= 0', name='replenishment_param_moq'),
    sa.CheckConstraint('service_level IS NULL OR (service_level > 0 AND service_level < 1)', name='replenishment_param_level'),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], ),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.PrimaryKeyConstraint('item_id', 'location_id')
    )
    op.create_table('replenishment_suggestion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('mean_daily', sa.Numeric(precision=20, scale=6), nullable=False),
    sa.Column('sigma_daily', sa.Numeric(precision=20, scale=6), nullable=False),
    sa.Column('lead_time_mean', sa.Numeric(precision=20, scale=6), nullable=False),
    sa.Column('lead_time_var', sa.Numeric(precision=20, scale=6), nullable=False),
    sa.Column('z', sa.Numeric(precision=6, scale=4), nullable=False),
    sa.Column('safety_stock', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('reorder_point', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('projected', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('order_qty', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('po_number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['replenishment_run.id'], ),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'item_id', 'location_id', name='replenishment_suggestion_key')
    )
    op.create_index(op.f('ix_replenishment_suggestion_run_id'), 'replenishment_suggestion', ['run_id'], unique=False)
    op.create_table('transfer_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('from_location_id', sa.Integer(), nullable=False),
    sa.Column('to_location_id', sa.Integer(), nullable=False),
    sa.Column('transit_location_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('shipped_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('shipped_on', sa.Date(), nullable=True),
    sa.Column('received_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'shipped', 'received', 'cancelled')", name='transfer_order_status'),
    sa.CheckConstraint('from_location_id <> to_location_id', name='transfer_order_two_places'),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], ),
    sa.ForeignKeyConstraint(['from_location_id'], ['location.id'], ),
    sa.ForeignKeyConstraint(['to_location_id'], ['location.id'], ),
    sa.ForeignKeyConstraint(['transit_location_id'], ['location.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    op.create_index(op.f('ix_transfer_order_entity_id'), 'transfer_order', ['entity_id'], unique=False)
    op.create_table('cycle_count_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('count_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('system_qty', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('counted_qty', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('difference', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('value', sa.Numeric(precision=20, scale=4), nullable=True),
    sa.Column('stock_move_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['count_id'], ['cycle_count.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['stock_move_id'], ['stock_move.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('count_id', 'item_id', name='cycle_count_line_key')
    )
    op.create_index(op.f('ix_cycle_count_line_count_id'), 'cycle_count_line', ['count_id'], unique=False)
    op.create_table('transfer_order_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('qty', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('unit_cost', sa.Numeric(precision=20, scale=6), nullable=True),
    sa.Column('value', sa.Numeric(precision=20, scale=4), nullable=True),
    sa.CheckConstraint('qty > 0', name='transfer_line_qty_positive'),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer_order.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('transfer_id', 'line_no', name='transfer_order_line_key')
    )
    op.create_index(op.f('ix_transfer_order_line_transfer_id'), 'transfer_order_line', ['transfer_id'], unique=False)
    op.create_index('stock_move_sales_by_day', 'stock_move', ['entity_id', 'posting_date'], unique=False, postgresql_where=sa.text("reason = 'sale'"))

    op.execute("CREATE SEQUENCE IF NOT EXISTS transfer_order_number_seq START 1000")
    op.execute("CREATE SEQUENCE IF NOT EXISTS cycle_count_number_seq START 1000")
    op.execute("INSERT INTO replenishment_setting (entity_id, service_level, review_days, history_days,"
               " lead_history_days, buyer_role, score_threshold, score_role, score_window_days)"
               " VALUES (NULL, 0.95, 7, 90, 365, 'buyer', 60, 'controller', 180)")
    grant_app_role()


def downgrade() -> None:
    """Drop what upgrade created."""
    op.execute("DROP SEQUENCE IF EXISTS cycle_count_number_seq")
    op.execute("DROP SEQUENCE IF EXISTS transfer_order_number_seq")
    op.drop_index("stock_move_sales_by_day", table_name="stock_move")
    for table in TABLES:
        op.drop_table(table)
