"""master identifiers: item GTIN (unique), supplier bank account (IBAN, BIC, holder), customer VAT number.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the columns (all nullable: existing rows have none of them yet)."""
    op.add_column("item", sa.Column("gtin", sqlmodel.sql.sqltypes.AutoString(length=14), nullable=True))
    op.create_unique_constraint("item_gtin_key", "item", ["gtin"])
    op.add_column("supplier", sa.Column("iban", sqlmodel.sql.sqltypes.AutoString(length=34), nullable=True))
    op.add_column("supplier", sa.Column("bic", sqlmodel.sql.sqltypes.AutoString(length=11), nullable=True))
    op.add_column(
        "supplier", sa.Column("account_holder", sqlmodel.sql.sqltypes.AutoString(length=70), nullable=True)
    )
    op.add_column("customer", sa.Column("tax_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))


def downgrade() -> None:
    """Drop the columns."""
    op.drop_column("customer", "tax_id")
    op.drop_column("supplier", "account_holder")
    op.drop_column("supplier", "bic")
    op.drop_column("supplier", "iban")
    op.drop_constraint("item_gtin_key", "item", type_="unique")
    op.drop_column("item", "gtin")
