"""payment_runs: house bank and payment-run setting per entity, payment runs with their items, bank
statements with their lines, and the bank-in-transit, bank-charges and interest accounts of every entity.

Revision ID: 0017
Revises: 0014
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

from migrations.privileges import grant_app_role

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# New account roles, added to every existing entity's chart (new entities get them from services/core/chart.py).
ACCOUNTS = (
    ("bank_in_transit", "1010", "Bank in transit", "asset"),
    ("interest_income", "4900", "Interest income", "income"),
    ("bank_charges", "6300", "Bank charges", "expense"),
)


def _created_at() -> sa.Column[Any]:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)


def upgrade() -> None:
    """Create the tables, add the accounts, then grant the app role."""
    op.create_table(
        "payment_setting",
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("uses_payment_runs", sa.Boolean(), nullable=False),
        sa.Column("account_name", AutoString(length=70), nullable=False),
        sa.Column("iban", AutoString(length=34), nullable=False),
        sa.Column("bic", AutoString(length=11), nullable=False),
        sa.Column("updated_by", AutoString(length=80), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"]),
        sa.PrimaryKeyConstraint("entity_id"),
    )
    op.create_table(
        "payment_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("workflow_id", AutoString(length=120), nullable=False),
        sa.Column("status", AutoString(length=20), nullable=False),
        sa.Column("proposed_by", AutoString(length=80), nullable=False),
        sa.Column("approved_by", AutoString(length=80), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        sa.CheckConstraint("status IN ('proposed', 'paid', 'rejected', 'empty')", name="payment_run_status"),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entity_id", "run_date", name="payment_run_key"),
    )
    op.create_index(op.f("ix_payment_run_entity_id"), "payment_run", ["entity_id"], unique=False)
    op.create_table(
        "payment_run_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("po_number", AutoString(length=30), nullable=False),
        sa.Column("currency", AutoString(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(20, 4), nullable=False),
        sa.Column("end_to_end_id", AutoString(length=35), nullable=False),
        sa.Column("fx_rate", sa.Numeric(20, 10), nullable=True),
        sa.Column("realised_fx", sa.Numeric(20, 4), nullable=False),
        sa.Column("status", AutoString(length=20), nullable=False),
        sa.Column("payment_entry_id", sa.Integer(), nullable=True),
        sa.Column("cleared_entry_id", sa.Integer(), nullable=True),
        _created_at(),
        sa.CheckConstraint("status IN ('proposed', 'paid', 'cleared')", name="payment_run_item_status"),
        sa.ForeignKeyConstraint(["invoice_id"], ["supplier_invoice.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["payment_run.id"]),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("end_to_end_id"),
        sa.UniqueConstraint("invoice_id"),
    )
    op.create_index(op.f("ix_payment_run_item_run_id"), "payment_run_item", ["run_id"], unique=False)
    op.create_table(
        "bank_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("statement_ref", AutoString(length=35), nullable=False),
        sa.Column("format", AutoString(length=10), nullable=False),
        sa.Column("account", AutoString(length=34), nullable=True),
        sa.Column("imported_by", AutoString(length=80), nullable=False),
        _created_at(),
        sa.CheckConstraint("format IN ('camt053','mt940')", name="bank_statement_format"),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entity_id", "statement_ref", name="bank_statement_key"),
    )
    op.create_index(op.f("ix_bank_statement_entity_id"), "bank_statement", ["entity_id"], unique=False)
    op.create_table(
        "bank_statement_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("booking_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(20, 4), nullable=False),
        sa.Column("currency", AutoString(length=3), nullable=False),
        sa.Column("reference", AutoString(length=140), nullable=True),
        sa.Column("description", AutoString(length=300), nullable=False),
        sa.Column("kind", AutoString(length=20), nullable=False),
        sa.Column("status", AutoString(length=20), nullable=False),
        sa.Column("payment_item_id", sa.Integer(), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('payment', 'charge', 'interest', 'other')", name="bank_statement_line_kind"
        ),
        sa.CheckConstraint(
            "status IN ('matched', 'posted', 'unmatched', 'dismissed')", name="bank_statement_line_status"
        ),
        sa.ForeignKeyConstraint(["payment_item_id"], ["payment_run_item.id"]),
        sa.ForeignKeyConstraint(["statement_id"], ["bank_statement.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("statement_id", "line_no", name="bank_statement_line_key"),
    )
    op.create_index(
        op.f("ix_bank_statement_line_statement_id"), "bank_statement_line", ["statement_id"], unique=False
    )
    for role, code, name, kind in ACCOUNTS:
        op.execute(
            sa.text(
                "INSERT INTO account (entity_id, code, name, type, role, archived)"
                " SELECT e.id, :c, :n, :t, :r, false FROM entity e"
                " WHERE NOT EXISTS (SELECT 1 FROM account a WHERE a.entity_id = e.id AND a.role = :r)"
            ).bindparams(c=code, n=name, t=kind, r=role)
        )
    grant_app_role()


def downgrade() -> None:
    """Drop the tables; the accounts stay (journal lines may already point at them)."""
    op.drop_index(op.f("ix_bank_statement_line_statement_id"), table_name="bank_statement_line")
    op.drop_table("bank_statement_line")
    op.drop_index(op.f("ix_bank_statement_entity_id"), table_name="bank_statement")
    op.drop_table("bank_statement")
    op.drop_index(op.f("ix_payment_run_item_run_id"), table_name="payment_run_item")
    op.drop_table("payment_run_item")
    op.drop_index(op.f("ix_payment_run_entity_id"), table_name="payment_run")
    op.drop_table("payment_run")
    op.drop_table("payment_setting")
