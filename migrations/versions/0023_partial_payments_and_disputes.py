"""partial payments and disputes: a supplier invoice may be paid in parts by several payment runs, once per
run; PSP chargebacks; and the accounts of failed refunds and chargebacks in every existing entity's chart.

Revision ID: 0023
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

from migrations.privileges import grant_app_role

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# New account roles, added to every existing entity's chart (new entities get them from services/core/chart.py).
ACCOUNTS = (
    ("dispute_clearing", "1060", "Chargebacks in dispute", "asset"),
    ("refund_write_off", "4950", "Customer refunds written off", "income"),
    ("chargeback_loss", "6400", "Chargeback losses", "expense"),
)


def upgrade() -> None:
    """One item per run and invoice (was: per invoice) paying something; the new accounts; chargebacks."""
    op.drop_constraint("payment_run_item_invoice_id_key", "payment_run_item", type_="unique")
    op.create_unique_constraint("payment_run_item_run_invoice", "payment_run_item", ["run_id", "invoice_id"])
    op.create_index("ix_payment_run_item_invoice_id", "payment_run_item", ["invoice_id"])
    op.create_check_constraint("payment_run_item_amount", "payment_run_item", "amount > 0")
    for role, code, name, kind in ACCOUNTS:
        op.execute(
            sa.text(
                "INSERT INTO account (entity_id, code, name, type, role, archived)"
                " SELECT e.id, :c, :n, :t, :r, false FROM entity e"
                " WHERE NOT EXISTS (SELECT 1 FROM account a WHERE a.entity_id = e.id AND a.role = :r)"
            ).bindparams(c=code, n=name, t=kind, r=role)
        )
    op.create_table(
        "psp_chargeback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("chargeback_ref", AutoString(length=35), nullable=False),
        sa.Column("order_number", AutoString(length=80), nullable=False),
        sa.Column("amount", sa.Numeric(20, 4), nullable=False),
        sa.Column("currency", AutoString(length=3), nullable=False),
        sa.Column("reason", AutoString(length=200), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("status", AutoString(length=20), nullable=False),
        sa.Column("workflow_id", AutoString(length=120), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("settled_entry_id", sa.Integer(), nullable=True),
        sa.Column("imported_by", AutoString(length=80), nullable=False),
        sa.Column("decided_by", AutoString(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('disputed', 'contested', 'accepted', 'won', 'lost')", name="psp_chargeback_status"
        ),
        sa.CheckConstraint("amount > 0", name="psp_chargeback_amount"),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"]),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "chargeback_ref", name="psp_chargeback_key"),
    )
    op.create_index(op.f("ix_psp_chargeback_entity_id"), "psp_chargeback", ["entity_id"], unique=False)
    grant_app_role()


def downgrade() -> None:
    """Back to one item per invoice (fails while an invoice has payments from two runs); the accounts stay
    (journal lines may already point at them)."""
    op.drop_index(op.f("ix_psp_chargeback_entity_id"), table_name="psp_chargeback")
    op.drop_table("psp_chargeback")
    op.drop_constraint("payment_run_item_amount", "payment_run_item", type_="check")
    op.drop_index("ix_payment_run_item_invoice_id", table_name="payment_run_item")
    op.drop_constraint("payment_run_item_run_invoice", "payment_run_item", type_="unique")
    op.create_unique_constraint("payment_run_item_invoice_id_key", "payment_run_item", ["invoice_id"])
