"""returns schema: return policies, return authorisations (RMA), lines, dispositions, credit notes,
serials sold, return-rate alerts, and the RMA number sequence.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.privileges import grant_app_role

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the returns tables and the RMA number sequence, then grant the app role."""
    op.create_table('customer_return_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('refund_before_arrival', sa.Boolean(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('customer_id')
    )
    op.create_table('channel_return_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.Column('auto_approve_below', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('refund_before_arrival', sa.Boolean(), nullable=False),
    sa.Column('goods_deadline_days', sa.Integer(), nullable=False),
    sa.Column('spike_threshold', sa.Numeric(precision=20, scale=10), nullable=False),
    sa.Column('spike_min_sold', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('spike_window_days', sa.Integer(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('window_days >= 0 AND goods_deadline_days > 0', name='channel_return_policy_days'),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel_id')
    )
    op.create_table('return_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('sku', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.Column('sold', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('returned', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('rate', sa.Numeric(precision=20, scale=10), nullable=False),
    sa.Column('threshold', sa.Numeric(precision=20, scale=10), nullable=False),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.Column('rma_number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], ),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('alert_key')
    )
    op.create_index(op.f('ix_return_alert_entity_id'), 'return_alert', ['entity_id'], unique=False)
    op.create_table('return_authorisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rma_number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('refund_method', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('pending_on', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('requested_on', sa.Date(), nullable=False),
    sa.Column('goods_due', sa.Date(), nullable=True),
    sa.Column('approved_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('value', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('refunded', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('refunded_early', sa.Boolean(), nullable=False),
    sa.Column('credit_note_number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('exchange_order_number', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('closed_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("refund_method IN ('original','store_credit')", name='return_refund_method'),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('rma_number')
    )
    op.create_index(op.f('ix_return_authorisation_entity_id'), 'return_authorisation', ['entity_id'], unique=False)
    op.create_index(op.f('ix_return_authorisation_order_id'), 'return_authorisation', ['order_id'], unique=False)
    op.create_table('sold_serial',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('serial', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id', 'line_no', 'serial', name='sold_serial_key')
    )
    op.create_index(op.f('ix_sold_serial_order_id'), 'sold_serial', ['order_id'], unique=False)
    op.create_table('credit_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('net', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('tax', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('total', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('journal_entry_id', sa.Integer(), nullable=True),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("method IN ('payment','receivable','store_credit')", name='credit_note_method'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], ),
    sa.ForeignKeyConstraint(['journal_entry_id'], ['journal_entry.id'], ),
    sa.ForeignKeyConstraint(['payment_id'], ['sales_payment.id'], ),
    sa.ForeignKeyConstraint(['return_id'], ['return_authorisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number'),
    sa.UniqueConstraint('return_id')
    )
    op.create_index(op.f('ix_credit_note_entity_id'), 'credit_note', ['entity_id'], unique=False)
    op.create_table('return_disposition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('part_no', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('qty', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('disposition', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('serial', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('value', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('stock_move_id', sa.Integer(), nullable=True),
    sa.Column('journal_entry_id', sa.Integer(), nullable=True),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('debit_note_number', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('received_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("disposition IN ('restock','refurbish','quarantine','scrap','return_to_vendor')", name='return_disposition_kind'),
    sa.ForeignKeyConstraint(['journal_entry_id'], ['journal_entry.id'], ),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], ),
    sa.ForeignKeyConstraint(['return_id'], ['return_authorisation.id'], ),
    sa.ForeignKeyConstraint(['stock_move_id'], ['stock_move.id'], ),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('return_id', 'part_no', name='return_disposition_part')
    )
    op.create_index(op.f('ix_return_disposition_return_id'), 'return_disposition', ['return_id'], unique=False)
    op.create_table('return_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('order_line_no', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('qty', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('reason_code', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('serials', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('net', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('tax', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('unit_cost', sa.Numeric(precision=20, scale=6), nullable=False),
    sa.Column('received_qty', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.CheckConstraint('qty > 0', name='return_line_qty'),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['return_id'], ['return_authorisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('return_id', 'line_no', name='return_line_no')
    )
    op.create_index(op.f('ix_return_line_return_id'), 'return_line', ['return_id'], unique=False)
    op.execute("CREATE SEQUENCE IF NOT EXISTS return_number_seq")
    grant_app_role()


def downgrade() -> None:
    """Drop the returns tables and the sequence."""
    op.execute("DROP SEQUENCE IF EXISTS return_number_seq")
    op.drop_index(op.f('ix_return_line_return_id'), table_name='return_line')
    op.drop_table('return_line')
    op.drop_index(op.f('ix_return_disposition_return_id'), table_name='return_disposition')
    op.drop_table('return_disposition')
    op.drop_index(op.f('ix_credit_note_entity_id'), table_name='credit_note')
    op.drop_table('credit_note')
    op.drop_index(op.f('ix_sold_serial_order_id'), table_name='sold_serial')
    op.drop_table('sold_serial')
    op.drop_index(op.f('ix_return_authorisation_order_id'), table_name='return_authorisation')
    op.drop_index(op.f('ix_return_authorisation_entity_id'), table_name='return_authorisation')
    op.drop_table('return_authorisation')
    op.drop_index(op.f('ix_return_alert_entity_id'), table_name='return_alert')
    op.drop_table('return_alert')
    op.drop_table('channel_return_policy')
    op.drop_table('customer_return_policy')
