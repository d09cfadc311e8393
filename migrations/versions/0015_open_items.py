"""open items: AP/AR documents with open amounts and their allocations; a payout settles each order once.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.privileges import grant_app_role

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MONEY = sa.Numeric(20, 4)
_TYPES = "'shipment', 'capture', 'refund', 'credit_note', 'settlement', 'invoice', 'landed_cost', 'debit_note', 'payment'"
_LEDGERS = ("open_item", "open_item_allocation")


def _line_status(statuses: str) -> None:
    op.drop_constraint("settlement_line_status", "settlement_line", type_="check")
    op.create_check_constraint("settlement_line_status", "settlement_line", f"status IN ({statuses})")


def upgrade() -> None:
    """Open-item tables (append-only like the journal), settlement content hash and the order-once guard."""
    op.create_table(
        "open_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=2), nullable=False),
        sa.Column("partner_type", sa.String(length=20), nullable=False),
        sa.Column("partner_id", sa.String(length=80), nullable=False),
        sa.Column("counterparty", sa.String(length=80), nullable=False),
        sa.Column("document_type", sa.String(length=20), nullable=False),
        sa.Column("document_ref", sa.String(length=200), nullable=False),
        sa.Column("document_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", _MONEY, nullable=False),
        sa.Column("amount_func", _MONEY, nullable=False),
        sa.Column("journal_entry_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("side IN ('ar','ap')", name="open_item_side"),
        sa.CheckConstraint(f"document_type IN ({_TYPES})", name="open_item_type"),
        sa.CheckConstraint("amount <> 0", name="open_item_amount"),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"]),
        sa.ForeignKeyConstraint(["journal_entry_id"], ["journal_entry.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index(
        "open_item_partner", "open_item", ["entity_id", "side", "partner_type", "partner_id", "currency"]
    )
    op.create_index(op.f("ix_open_item_journal_entry_id"), "open_item", ["journal_entry_id"])
    op.create_table(
        "open_item_allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("debit_item_id", sa.Integer(), nullable=False),
        sa.Column("credit_item_id", sa.Integer(), nullable=False),
        sa.Column("amount", _MONEY, nullable=False),
        sa.Column("allocated_on", sa.Date(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount > 0", name="open_item_allocation_amount"),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"]),
        sa.ForeignKeyConstraint(["debit_item_id"], ["open_item.id"]),
        sa.ForeignKeyConstraint(["credit_item_id"], ["open_item.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index(op.f("ix_open_item_allocation_debit_item_id"), "open_item_allocation", ["debit_item_id"])
    op.create_index(
        op.f("ix_open_item_allocation_credit_item_id"), "open_item_allocation", ["credit_item_id"]
    )
    for table in _LEDGERS:
        # Same guard as the journal: corrections are new rows, never rewrites.
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION erp_forbid_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION erp_forbid_change()"
        )

    op.add_column("marketplace_settlement", sa.Column("content_hash", sa.String(length=64), nullable=True))
    op.create_unique_constraint(
        "settlement_content", "marketplace_settlement", ["channel_id", "content_hash"]
    )
    op.add_column("settlement_line", sa.Column("open_receivable", _MONEY, nullable=True))
    _line_status("'matched', 'unmatched', 'dismissed', 'difference', 'already_settled'")
    op.create_index(
        "settlement_line_order_once",
        "settlement_line",
        ["order_id"],
        unique=True,
        postgresql_where=sa.text("status = 'matched'"),
    )
    grant_app_role()
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {', '.join(_LEDGERS)} FROM erp_app")
    _backfill()


def _backfill() -> None:
    """Entries posted before this revision become open items, oldest first, allocated as live ones are.

    Without it every AP/AR posting of an upgraded database would be a reconciliation difference. It runs the
    service the posting code uses (imported here, not at module level, so the revision loads without it)."""
    from sqlmodel import Session

    from services.core import open_items

    open_items.backfill(Session(bind=op.get_bind()))


def downgrade() -> None:
    """Drop the open items and the settlement guards (refused while a line has a status the old check lacks)."""
    op.drop_index("settlement_line_order_once", table_name="settlement_line")
    _line_status("'matched', 'unmatched', 'dismissed'")
    op.drop_column("settlement_line", "open_receivable")
    op.drop_constraint("settlement_content", "marketplace_settlement", type_="unique")
    op.drop_column("marketplace_settlement", "content_hash")
    op.drop_table("open_item_allocation")
    op.drop_table("open_item")
