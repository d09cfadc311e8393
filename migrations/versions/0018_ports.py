"""ports: carrier bookings carry service and label reference; payments carry their outcome; a channel names
its payment provider.

Revision ID: 0018
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Columns for the booking record, the payment outcome (declined, failed, expiry) and the provider."""
    op.add_column("carrier_booking", sa.Column("service", sa.String(40), nullable=True))
    op.add_column("carrier_booking", sa.Column("label_reference", sa.String(80), nullable=True))
    op.add_column(
        "sales_payment", sa.Column("status", sa.String(20), nullable=False, server_default="approved")
    )
    op.add_column("sales_payment", sa.Column("reason", sa.String(300), nullable=True))
    op.add_column("sales_payment", sa.Column("expires_on", sa.Date(), nullable=True))
    op.create_check_constraint(
        "sales_payment_status", "sales_payment", "status IN ('approved','declined','failed')"
    )
    op.add_column(
        "channel", sa.Column("payment_provider", sa.String(20), nullable=False, server_default="ledger")
    )
    op.create_check_constraint("channel_payment_provider", "channel", "payment_provider IN ('ledger','sandbox')")


def downgrade() -> None:
    """Drop the added columns."""
    op.drop_constraint("channel_payment_provider", "channel", type_="check")
    op.drop_column("channel", "payment_provider")
    op.drop_constraint("sales_payment_status", "sales_payment", type_="check")
    for column in ("expires_on", "reason", "status"):
        op.drop_column("sales_payment", column)
    for column in ("label_reference", "service"):
        op.drop_column("carrier_booking", column)
