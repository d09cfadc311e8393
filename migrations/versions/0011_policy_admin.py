"""policy admin: effective-dated approval bands and settings, match tolerances per entity, scoped and
revocable delegations.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the dating and scope columns; existing rows stay in effect since always, for every entity."""
    op.add_column("approval_band", sa.Column("effective_from", sa.Date(), nullable=True))
    op.add_column("approval_band", sa.Column("effective_to", sa.Date(), nullable=True))
    op.add_column("approval_setting", sa.Column("effective_from", sa.Date(), nullable=True))
    op.drop_constraint("approval_setting_entity_id_key", "approval_setting", type_="unique")
    op.create_unique_constraint("approval_setting_key", "approval_setting", ["entity_id", "effective_from"])
    op.add_column("match_tolerance", sa.Column("entity_id", sa.Integer(), nullable=True))
    op.create_foreign_key(None, "match_tolerance", "entity", ["entity_id"], ["id"])
    op.create_index(op.f("ix_match_tolerance_entity_id"), "match_tolerance", ["entity_id"], unique=False)
    op.drop_constraint("match_tolerance_key", "match_tolerance", type_="unique")
    op.create_unique_constraint(
        "match_tolerance_key", "match_tolerance", ["entity_id", "supplier_id", "category"]
    )
    op.add_column("delegation", sa.Column("entity_id", sa.Integer(), nullable=True))
    op.create_foreign_key(None, "delegation", "entity", ["entity_id"], ["id"])
    op.add_column("delegation", sa.Column("task_kinds", sa.ARRAY(sa.String()), nullable=True))
    op.add_column(
        "delegation", sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True)
    )
    op.add_column("delegation", sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "delegation", sa.Column("revoked_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True)
    )


def downgrade() -> None:
    """Drop the columns; refused while a setting is dated or a tolerance belongs to one entity (they would
    not fit the old keys)."""
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM approval_setting WHERE effective_from IS NOT NULL)"
        " OR EXISTS (SELECT 1 FROM match_tolerance WHERE entity_id IS NOT NULL) THEN"
        " RAISE EXCEPTION 'dated settings or entity tolerances exist: delete them before downgrading';"
        " END IF; END $$"
    )
    for column in ("revoked_by", "revoked_at", "created_by", "task_kinds", "entity_id"):
        op.drop_column("delegation", column)
    op.drop_constraint("match_tolerance_key", "match_tolerance", type_="unique")
    op.create_unique_constraint("match_tolerance_key", "match_tolerance", ["supplier_id", "category"])
    op.drop_index(op.f("ix_match_tolerance_entity_id"), table_name="match_tolerance")
    op.drop_column("match_tolerance", "entity_id")
    op.drop_constraint("approval_setting_key", "approval_setting", type_="unique")
    op.create_unique_constraint("approval_setting_entity_id_key", "approval_setting", ["entity_id"])
    op.drop_column("approval_setting", "effective_from")
    op.drop_column("approval_band", "effective_to")
    op.drop_column("approval_band", "effective_from")
