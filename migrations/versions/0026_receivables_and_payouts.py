"""receivables and payouts: a realised exchange difference is an open item in its document's currency with
nothing in it (amount 0, the difference in amount_func; the check allowing that is 0025's), so it is never listed
as open; items recorded before (in the functional currency and never allocated) are restated so: a receivable's
in its order's currency, a supplier payment's in its invoice's. A PSP payout line has a kind: captures paid out, or a chargeback or refund the
provider withheld from the payout.

Revision ID: 0026
Revises: 0025
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The receivables' realised exchange differences (services/payments/receipt_fx.py keys them by the receipt).
_RESTATE = """
UPDATE open_item i SET amount = 0, currency = o.currency
  FROM journal_entry e, sales_order o
 WHERE e.id = i.journal_entry_id AND e.idempotency_key LIKE 'je:%:ar:realised_fx'
   AND i.side = 'ar' AND i.partner_type = 'order' AND o.number = i.partner_id AND i.amount <> 0
   AND NOT EXISTS (SELECT 1 FROM open_item_allocation a WHERE i.id IN (a.debit_item_id, a.credit_item_id))
"""
# The supplier payments' realised exchange differences (`fx:{invoice}`, partner = the supplier's id).
_RESTATE_AP = """
UPDATE open_item i SET amount = 0, currency = si.currency
  FROM supplier_invoice si
 WHERE i.side = 'ap' AND i.partner_type = 'supplier' AND i.document_ref = 'fx:' || si.invoice_number
   AND si.supplier_id::text = i.partner_id AND i.amount <> 0
   AND NOT EXISTS (SELECT 1 FROM open_item_allocation a WHERE i.id IN (a.debit_item_id, a.credit_item_id))
"""


def upgrade() -> None:
    """Restate the recorded exchange differences; payout line kinds."""
    op.execute(_RESTATE)
    op.execute(_RESTATE_AP)
    op.add_column(
        "psp_payout_line",
        sa.Column("kind", AutoString(length=20), server_default="capture", nullable=False),
    )
    op.create_check_constraint(
        "psp_payout_line_kind", "psp_payout_line", "kind IN ('capture', 'chargeback', 'refund')"
    )


def downgrade() -> None:
    """Back to items with an amount (the restated differences in the functional currency again) and payout lines
    without a kind (refused while a withheld line is stored: it would read as a capture)."""
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM psp_payout_line WHERE kind <> 'capture') THEN"
        " RAISE EXCEPTION 'withheld payout lines are stored'; END IF; END $$"
    )
    op.drop_constraint("psp_payout_line_kind", "psp_payout_line", type_="check")
    op.drop_column("psp_payout_line", "kind")
    op.execute(
        "UPDATE open_item i SET amount = i.amount_func, currency = en.currency FROM entity en"
        " WHERE en.id = i.entity_id AND i.amount = 0"
    )
