"""purchasing schema: approval policy, purchase orders, receipts, supplier invoices, matches.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the purchasing tables and the PO number sequence."""
    op.create_table('approval_band',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('min_amount', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('max_amount', sa.Numeric(precision=20, scale=4), nullable=True),
    sa.Column('levels', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('max_amount IS NULL OR max_amount > min_amount', name='approval_band_range'),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_approval_band_entity_id'), 'approval_band', ['entity_id'], unique=False)
    op.create_table('approval_setting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('sla_hours', sa.Integer(), nullable=False),
    sa.Column('escalation', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.Column('window_cap', sa.Numeric(precision=20, scale=4), nullable=True),
    sa.Column('grace_days', sa.Integer(), nullable=False),
    sa.Column('over_receipt_pct', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entity_id')
    )
    op.create_table('match_tolerance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('qty_pct', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('price_pct', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('price_abs', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('supplier_id', 'category', name='match_tolerance_key')
    )
    op.create_table('purchase_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('fx_rate', sa.Numeric(precision=20, scale=10), nullable=False),
    sa.Column('total', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('total_func', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('order_date', sa.Date(), nullable=False),
    sa.Column('expected_date', sa.Date(), nullable=False),
    sa.Column('payment_terms', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('landed_cost_pct', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('parent_number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('pending_on', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cycle_time_seconds', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("stage IN ('draft', 'approval', 'issued', 'delayed', 'receiving', 'matching', 'exception',"
                       " 'awaiting_payment', 'closed', 'cancelled', 'rejected')", name='purchase_order_stage'),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], ),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    op.create_index(op.f('ix_purchase_order_supplier_id'), 'purchase_order', ['supplier_id'], unique=False)
    op.create_index('purchase_order_entity_stage', 'purchase_order', ['entity_id', 'stage'], unique=False)
    op.create_table('goods_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('po_id', sa.Integer(), nullable=False),
    sa.Column('receipt_no', sa.Integer(), nullable=False),
    sa.Column('delivery_note', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('received_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_order.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('po_id', 'delivery_note', name='goods_receipt_delivery_note'),
    sa.UniqueConstraint('po_id', 'receipt_no', name='goods_receipt_key')
    )
    op.create_index(op.f('ix_goods_receipt_po_id'), 'goods_receipt', ['po_id'], unique=False)
    op.create_table('inbound_exception',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('po_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('expected_date', sa.Date(), nullable=False),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('resolution', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_order.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    op.create_index(op.f('ix_inbound_exception_po_id'), 'inbound_exception', ['po_id'], unique=False)
    op.create_table('purchase_order_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('po_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('qty', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('price', sa.Numeric(precision=20, scale=6), nullable=False),
    sa.Column('landed_unit', sa.Numeric(precision=20, scale=6), nullable=False),
    sa.Column('confirmed_qty', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('received_qty', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('rejected_qty', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('cancelled_qty', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('invoiced_qty', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.CheckConstraint('qty > 0', name='po_line_qty_positive'),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], ),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], ),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_order.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('po_id', 'line_no', name='purchase_order_line_key')
    )
    op.create_index(op.f('ix_purchase_order_line_po_id'), 'purchase_order_line', ['po_id'], unique=False)
    op.create_table('supplier_invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('invoice_number', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('po_id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('invoice_date', sa.Date(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('net', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('tax', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('allocation_basis', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('entered_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('goods','landed_cost')", name='supplier_invoice_kind'),
    sa.CheckConstraint("status IN ('received','matched','exception','accepted','rejected','waiting','paid')",
                       name='supplier_invoice_status'),
    sa.ForeignKeyConstraint(['entity_id'], ['entity.id'], ),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_order.id'], ),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('supplier_id', 'invoice_number', name='supplier_invoice_number')
    )
    op.create_index(op.f('ix_supplier_invoice_po_id'), 'supplier_invoice', ['po_id'], unique=False)
    op.create_table('goods_receipt_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('po_line_id', sa.Integer(), nullable=False),
    sa.Column('qty', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('rejected_qty', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('lot', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('serials', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('po_value', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('landed_estimate', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('landed_actual', sa.Numeric(precision=20, scale=4), nullable=True),
    sa.ForeignKeyConstraint(['po_line_id'], ['purchase_order_line.id'], ),
    sa.ForeignKeyConstraint(['receipt_id'], ['goods_receipt.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_goods_receipt_line_po_line_id'), 'goods_receipt_line', ['po_line_id'], unique=False)
    op.create_index(op.f('ix_goods_receipt_line_receipt_id'), 'goods_receipt_line', ['receipt_id'], unique=False)
    op.create_table('supplier_invoice_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('po_line_id', sa.Integer(), nullable=True),
    sa.Column('qty', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('price', sa.Numeric(precision=20, scale=6), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['supplier_invoice.id'], ),
    sa.ForeignKeyConstraint(['po_line_id'], ['purchase_order_line.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_supplier_invoice_line_invoice_id'), 'supplier_invoice_line', ['invoice_id'], unique=False)
    op.create_table('invoice_match',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('invoice_line_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('reasons', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('grni_value', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('invoice_value', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('price_variance', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('resolution', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['supplier_invoice.id'], ),
    sa.ForeignKeyConstraint(['invoice_line_id'], ['supplier_invoice_line.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('invoice_line_id', 'attempt', name='invoice_match_key')
    )
    op.create_index(op.f('ix_invoice_match_invoice_id'), 'invoice_match', ['invoice_id'], unique=False)
    # PO numbers are allocated by the API before the workflow starts (the workflow id derives from them).
    op.execute("CREATE SEQUENCE purchase_order_number_seq START 100001")
    # A default policy so a fresh install can approve: everything needs one approver, no cap.
    op.execute("INSERT INTO approval_setting (entity_id, sla_hours, escalation, window_days, grace_days,"
               " over_receipt_pct) VALUES (NULL, 24, '{}', 30, 2, 0)")
    from migrations.privileges import grant_app_role

    grant_app_role()


def downgrade() -> None:
    """Drop the purchasing tables."""
    op.execute("DROP SEQUENCE IF EXISTS purchase_order_number_seq")
    op.drop_index(op.f('ix_invoice_match_invoice_id'), table_name='invoice_match')
    op.drop_table('invoice_match')
    op.drop_index(op.f('ix_supplier_invoice_line_invoice_id'), table_name='supplier_invoice_line')
    op.drop_table('supplier_invoice_line')
    op.drop_index(op.f('ix_goods_receipt_line_po_line_id'), table_name='goods_receipt_line')
    op.drop_index(op.f('ix_goods_receipt_line_receipt_id'), table_name='goods_receipt_line')
    op.drop_table('goods_receipt_line')
    op.drop_index(op.f('ix_supplier_invoice_po_id'), table_name='supplier_invoice')
    op.drop_table('supplier_invoice')
    op.drop_index(op.f('ix_purchase_order_line_po_id'), table_name='purchase_order_line')
    op.drop_table('purchase_order_line')
    op.drop_index(op.f('ix_inbound_exception_po_id'), table_name='inbound_exception')
    op.drop_table('inbound_exception')
    op.drop_index(op.f('ix_goods_receipt_po_id'), table_name='goods_receipt')
    op.drop_table('goods_receipt')
    op.drop_index(op.f('ix_purchase_order_supplier_id'), table_name='purchase_order')
    op.drop_index('purchase_order_entity_stage', table_name='purchase_order')
    op.drop_table('purchase_order')
    op.drop_table('match_tolerance')
    op.drop_table('approval_setting')
    op.drop_index(op.f('ix_approval_band_entity_id'), table_name='approval_band')
    op.drop_table('approval_band')
