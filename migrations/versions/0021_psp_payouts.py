"""psp_payouts: payment providers' payout reports with their lines, and what a bank statement line matched.

Revision ID: 0021
Revises: 0019
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

from migrations.privileges import grant_app_role

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MONEY = sa.Numeric(20, 4)


def _created_at() -> sa.Column[Any]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    """Create the payout tables, add the match columns to statement lines, then grant the app role."""
    op.create_table(
        "psp_payout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("payout_ref", AutoString(length=35), nullable=False),
        sa.Column("payout_date", sa.Date(), nullable=False),
        sa.Column("currency", AutoString(length=3), nullable=False),
        sa.Column("reported_net", _MONEY, nullable=False),
        sa.Column("in_transit", _MONEY, nullable=False),
        sa.Column("status", AutoString(length=20), nullable=False),
        sa.Column("cleared_entry_id", sa.Integer(), nullable=True),
        sa.Column("imported_by", AutoString(length=80), nullable=False),
        _created_at(),
        sa.CheckConstraint("status IN ('in_transit', 'cleared')", name="psp_payout_status"),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"]),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "payout_ref", name="psp_payout_key"),
    )
    op.create_index(op.f("ix_psp_payout_entity_id"), "psp_payout", ["entity_id"], unique=False)
    op.create_table(
        "psp_payout_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payout_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("order_number", AutoString(length=80), nullable=False),
        sa.Column("gross", _MONEY, nullable=False),
        sa.Column("fees", _MONEY, nullable=False),
        sa.Column("held", _MONEY, nullable=True),
        sa.Column("status", AutoString(length=20), nullable=False),
        sa.Column("reason", AutoString(length=300), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('matched', 'difference', 'unmatched', 'accepted', 'dismissed')",
            name="psp_payout_line_status",
        ),
        sa.ForeignKeyConstraint(["payout_id"], ["psp_payout.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("payout_id", "line_no", name="psp_payout_line_key"),
    )
    op.create_index(op.f("ix_psp_payout_line_payout_id"), "psp_payout_line", ["payout_id"], unique=False)
    op.add_column("bank_statement_line", sa.Column("matched_to", AutoString(length=20), nullable=True))
    op.add_column("bank_statement_line", sa.Column("matched_ref", AutoString(length=80), nullable=True))
    grant_app_role()


def downgrade() -> None:
    """Drop the match columns and the payout tables."""
    op.drop_column("bank_statement_line", "matched_ref")
    op.drop_column("bank_statement_line", "matched_to")
    op.drop_index(op.f("ix_psp_payout_line_payout_id"), table_name="psp_payout_line")
    op.drop_table("psp_payout_line")
    op.drop_index(op.f("ix_psp_payout_entity_id"), table_name="psp_payout")
    op.drop_table("psp_payout")
