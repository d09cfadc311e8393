"""sales schema: channel prices, promotions, sales orders, allocations, shipments, payments, settlements.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from migrations.privileges import grant_app_role

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the order-to-fulfill tables and grant the app role."""
    op.create_table('channel_price',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('price', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel_id', 'item_id', 'valid_from', name='channel_price_key')
    )
    op.create_index(op.f('ix_channel_price_channel_id'), 'channel_price', ['channel_id'], unique=False)
    op.create_table('marketplace_settlement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('payout_date', sa.Date(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], ),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel_id', 'reference', name='settlement_reference')
    )
    op.create_index(op.f('ix_marketplace_settlement_entity_id'), 'marketplace_settlement', ['entity_id'], unique=False)
    op.create_table('promotion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('percent_off', sa.Numeric(precision=20, scale=10), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('percent_off >= 0 AND percent_off <= 100', name='promotion_percent'),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('sales_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('ship_to_region', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('payment_method', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('order_date', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('total_gross', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('total_discount', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('total_tax', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('total_due', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('settled', sa.Boolean(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("payment_method IN ('card','cash','transfer','marketplace')", name='sales_order_payment'),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel_id', 'external_id', name='sales_order_channel_external'),
    sa.UniqueConstraint('number')
    )
    op.create_index(op.f('ix_sales_order_entity_id'), 'sales_order', ['entity_id'], unique=False)
    op.create_table('sales_allocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('qty', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('round_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('reservation_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reservation_key')
    )
    op.create_index(op.f('ix_sales_allocation_order_id'), 'sales_allocation', ['order_id'], unique=False)
    op.create_index('sales_allocation_round', 'sales_allocation', ['order_id', 'round_key'], unique=False)
    op.create_table('sales_order_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('qty', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('gross', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('discount', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('tax_rate', sa.Numeric(precision=20, scale=10), nullable=False),
    sa.Column('tax', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('promotion_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('substitute_for', sa.Integer(), nullable=True),
    sa.Column('qty_shipped', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('qty_cancelled', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('qty_backordered', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('promised_date', sa.Date(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.CheckConstraint('qty > 0', name='sales_order_line_qty'),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id', 'line_no', name='sales_order_line_no')
    )
    op.create_index(op.f('ix_sales_order_line_order_id'), 'sales_order_line', ['order_id'], unique=False)
    op.create_table('sales_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('payment_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('amount', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('journal_entry_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('authorise','capture','void','refund')", name='sales_payment_kind'),
    sa.ForeignKeyConstraint(['journal_entry_id'], ['journal_entry.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('payment_key')
    )
    op.create_index(op.f('ix_sales_payment_order_id'), 'sales_payment', ['order_id'], unique=False)
    op.create_table('settlement_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('settlement_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('gross', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('fees', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('journal_entry_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('matched','unmatched','dismissed')", name='settlement_line_status'),
    sa.ForeignKeyConstraint(['journal_entry_id'], ['journal_entry.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], ),
    sa.ForeignKeyConstraint(['settlement_id'], ['marketplace_settlement.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('settlement_id', 'line_no', name='settlement_line_no')
    )
    op.create_index(op.f('ix_settlement_line_settlement_id'), 'settlement_line', ['settlement_id'], unique=False)
    op.create_table('shipment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('shipment_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('carrier', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('tracking', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('shipped_on', sa.Date(), nullable=False),
    sa.Column('revenue_net', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('discount', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('tax', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('cost', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('journal_entry_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['journal_entry_id'], ['journal_entry.id'], ),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shipment_key', name='shipment_key_unique')
    )
    op.create_index(op.f('ix_shipment_order_id'), 'shipment', ['order_id'], unique=False)
    op.create_table('shipment_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('qty', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('cost', sa.Numeric(precision=20, scale=6), nullable=False),
    sa.Column('stock_move_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipment.id'], ),
    sa.ForeignKeyConstraint(['stock_move_id'], ['stock_move.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_shipment_line_shipment_id'), 'shipment_line', ['shipment_id'], unique=False)
    grant_app_role()


def downgrade() -> None:
    """Drop the order-to-fulfill tables."""
    op.drop_index(op.f('ix_shipment_line_shipment_id'), table_name='shipment_line')
    op.drop_table('shipment_line')
    op.drop_index(op.f('ix_shipment_order_id'), table_name='shipment')
    op.drop_table('shipment')
    op.drop_index(op.f('ix_settlement_line_settlement_id'), table_name='settlement_line')
    op.drop_table('settlement_line')
    op.drop_index(op.f('ix_sales_payment_order_id'), table_name='sales_payment')
    op.drop_table('sales_payment')
    op.drop_index(op.f('ix_sales_order_line_order_id'), table_name='sales_order_line')
    op.drop_table('sales_order_line')
    op.drop_index('sales_allocation_round', table_name='sales_allocation')
    op.drop_index(op.f('ix_sales_allocation_order_id'), table_name='sales_allocation')
    op.drop_table('sales_allocation')
    op.drop_index(op.f('ix_sales_order_entity_id'), table_name='sales_order')
    op.drop_table('sales_order')
    op.drop_table('promotion')
    op.drop_index(op.f('ix_marketplace_settlement_entity_id'), table_name='marketplace_settlement')
    op.drop_table('marketplace_settlement')
    op.drop_index(op.f('ix_channel_price_channel_id'), table_name='channel_price')
    op.drop_table('channel_price')
