"""commands: what the API accepted, kept until its workflow has decided it.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlmodel.sql.sqltypes import AutoString

from migrations.privileges import grant_app_role

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = AutoString


def upgrade() -> None:
    """Create the command table, then grant the app role."""
    op.create_table(
        "api_command",
        sa.Column("id", _STR(length=36), nullable=False),
        sa.Column("dedup_key", _STR(length=600), nullable=False),
        sa.Column("kind", _STR(length=10), nullable=False),
        sa.Column("workflow_id", _STR(length=200), nullable=False),
        sa.Column("workflow_type", _STR(length=80), nullable=False),
        sa.Column("update_name", _STR(length=80), nullable=True),
        sa.Column("update_id", _STR(length=300), nullable=True),
        sa.Column("arg_type", _STR(length=200), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("subject", _STR(length=40), nullable=False),
        sa.Column("default_field", _STR(length=80), nullable=False),
        sa.Column("username", _STR(length=80), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", _STR(length=200), nullable=True),
        sa.Column("status", _STR(length=12), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", _STR(length=2000), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('pending','applied','rejected')", name="api_command_status"),
        sa.CheckConstraint("kind IN ('start','update')", name="api_command_kind"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedup_key"),
    )
    op.create_index(
        "api_command_due",
        "api_command",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("api_command_by_key", "api_command", ["username", "idempotency_key"])
    op.create_index(op.f("ix_api_command_workflow_id"), "api_command", ["workflow_id"])
    grant_app_role()


def downgrade() -> None:
    """Drop the command table."""
    op.drop_table("api_command")
