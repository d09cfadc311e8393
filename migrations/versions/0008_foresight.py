"""foresight schema: channel settlement cycles, stock minimums, master-data quality problems.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlmodel.sql.sqltypes import AutoString

from migrations.privileges import grant_app_role

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = AutoString


def _created_at() -> "sa.Column[object]":
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    """Create the foresight tables, then grant the app role."""
    op.create_table(
        "foresight_channel_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("settlement_days", sa.Integer(), nullable=False),
        sa.Column("updated_by", _STR(length=80), nullable=False),
        _created_at(),
        sa.CheckConstraint("settlement_days BETWEEN 0 AND 365", name="foresight_channel_settlement_days"),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id"),
    )
    op.create_table(
        "foresight_stock_minimum",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("min_qty", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("updated_by", _STR(length=80), nullable=False),
        _created_at(),
        sa.CheckConstraint("min_qty >= 0", name="foresight_stock_minimum_positive"),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
        sa.ForeignKeyConstraint(["location_id"], ["location.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "location_id", name="foresight_stock_minimum_key"),
    )
    op.create_index(
        op.f("ix_foresight_stock_minimum_location_id"),
        "foresight_stock_minimum",
        ["location_id"],
        unique=False,
    )
    op.create_table(
        "data_quality_problem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_key", _STR(length=200), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("rule", _STR(length=40), nullable=False),
        sa.Column("record_type", _STR(length=40), nullable=False),
        sa.Column("record_id", _STR(length=80), nullable=False),
        sa.Column("record_label", _STR(length=200), nullable=False),
        sa.Column("owner_role", _STR(length=40), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", _STR(length=10), nullable=False),
        sa.Column("occurrence", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.Column("fixed_on", sa.Date(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        _created_at(),
        sa.CheckConstraint("status IN ('open','fixed')", name="data_quality_problem_status"),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("problem_key"),
    )
    op.create_index(
        "data_quality_problem_open", "data_quality_problem", ["entity_id", "status", "rule"], unique=False
    )
    grant_app_role()


def downgrade() -> None:
    """Drop the foresight tables."""
    op.drop_index("data_quality_problem_open", table_name="data_quality_problem")
    op.drop_table("data_quality_problem")
    op.drop_index(op.f("ix_foresight_stock_minimum_location_id"), table_name="foresight_stock_minimum")
    op.drop_table("foresight_stock_minimum")
    op.drop_table("foresight_channel_setting")
