"""manual_journals: journals keyed through the API (maker-checker, reversal on a date) and their templates;
intercompany receivable/payable and currency translation adjustment accounts for every existing entity.

Revision ID: 0016
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlmodel.sql.sqltypes import AutoString

from migrations.privileges import grant_app_role

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Same codes as services.core.chart.STANDARD_CODES.
_NEW_ACCOUNTS = (
    ("1300", "Intercompany receivable", "asset", "ic_receivable"),
    ("2400", "Intercompany payable", "liability", "ic_payable"),
    ("3200", "Currency translation adjustment", "equity", "cta"),
)


def upgrade() -> None:
    """Create journal_template, manual_journal and the journal number sequence, then grant the app role."""
    op.create_table(
        "journal_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("code", AutoString(length=30), nullable=False),
        sa.Column("memo", AutoString(length=500), nullable=False),
        sa.Column("currency", AutoString(length=3), nullable=False),
        sa.Column("lines", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("auto_reverse", sa.Boolean(), nullable=False),
        sa.Column("created_by", AutoString(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entity_id", "code", name="journal_template_key"),
    )
    op.create_index(op.f("ix_journal_template_entity_id"), "journal_template", ["entity_id"], unique=False)
    op.create_table(
        "manual_journal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", AutoString(length=40), nullable=False),
        sa.Column("workflow_id", AutoString(length=200), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("currency", AutoString(length=3), nullable=False),
        sa.Column("posting_date", sa.Date(), nullable=False),
        sa.Column("reversal_date", sa.Date(), nullable=True),
        sa.Column("memo", AutoString(length=500), nullable=False),
        sa.Column("lines", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", AutoString(length=20), nullable=False),
        sa.Column("maker", AutoString(length=80), nullable=False),
        sa.Column("approved_by", AutoString(length=80), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("reversal_entry_id", sa.Integer(), nullable=True),
        sa.Column("reversal_posted_on", sa.Date(), nullable=True),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('approval', 'posted', 'rejected', 'reversed', 'reversal_blocked')",
            name="manual_journal_status",
        ),
        sa.CheckConstraint(
            "reversal_date IS NULL OR reversal_date > posting_date", name="manual_journal_reversal_after"
        ),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"]),
        sa.ForeignKeyConstraint(["entry_id"], ["journal_entry.id"]),
        sa.ForeignKeyConstraint(["reversal_entry_id"], ["journal_entry.id"]),
        sa.ForeignKeyConstraint(["template_id"], ["journal_template.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index(op.f("ix_manual_journal_entity_id"), "manual_journal", ["entity_id"], unique=False)
    op.execute("CREATE SEQUENCE IF NOT EXISTS manual_journal_number_seq START 1000")
    for code, name, kind, role in _NEW_ACCOUNTS:
        # Entities created from now on get them from services.core.chart; a code already used is left alone.
        op.execute(
            sa.text(
                "INSERT INTO account (entity_id, code, name, type, role, archived)"
                " SELECT e.id, :c, :n, :t, :r, false FROM entity e"
                " WHERE NOT EXISTS (SELECT 1 FROM account a WHERE a.entity_id = e.id AND a.role = :r)"
                " ON CONFLICT (entity_id, code) DO NOTHING"
            ).bindparams(c=code, n=name, t=kind, r=role)
        )
    grant_app_role()


def downgrade() -> None:
    """Drop the manual journal tables (the ledger entries they posted stay: ledgers are never rewritten).

    The new accounts stay: journal lines may reference them."""
    op.execute("DROP SEQUENCE IF EXISTS manual_journal_number_seq")
    op.drop_index(op.f("ix_manual_journal_entity_id"), table_name="manual_journal")
    op.drop_table("manual_journal")
    op.drop_index(op.f("ix_journal_template_entity_id"), table_name="journal_template")
    op.drop_table("journal_template")
