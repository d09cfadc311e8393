"""task_sla: a service level (reminder, escalation) per kind of task, per entity or for every entity.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

from migrations.privileges import grant_app_role

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The defaults every entity starts with (entity_id NULL); an entity's own row for a kind replaces it.
# PO approvals keep their service level in approval_setting (sla_hours, escalation chain).
DEFAULTS = (
    # kind, hours, remind at %, escalate to
    ("match_exception", 48, 50, "controller"),
    ("supplier_delay", 48, 50, "controller"),
    # A revision waits on the requester by name: reminders only.
    ("po_revision", 72, 50, None),
    ("return_approval", 24, 50, "controller"),
    ("backorder", 48, 50, "controller"),
    ("fulfillment_exception", 24, 50, "controller"),
    ("replenishment_review", 24, 50, "controller"),
    # Admins are the top for a stuck step: reminders only.
    ("needs_attention", 8, 50, None),
    # The controller is the top of a close: reminders only until an entity names a role above.
    ("close_difference", 48, 50, None),
    ("close_signoff", 48, 50, None),
)


def upgrade() -> None:
    """Create task_sla with its defaults, then grant the app role."""
    op.create_table(
        "task_sla",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("kind", AutoString(length=40), nullable=False),
        sa.Column("sla_hours", sa.Integer(), nullable=False),
        sa.Column("remind_pct", sa.Integer(), nullable=False),
        sa.Column("escalate_to", AutoString(length=40), nullable=True),
        sa.Column("updated_by", AutoString(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("sla_hours BETWEEN 1 AND 8760", name="task_sla_hours"),
        sa.CheckConstraint("remind_pct BETWEEN 1 AND 99", name="task_sla_remind_pct"),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entity_id", "kind", name="task_sla_key"),
    )
    op.create_index(op.f("ix_task_sla_entity_id"), "task_sla", ["entity_id"], unique=False)
    for kind, hours, pct, target in DEFAULTS:
        op.execute(
            sa.text(
                "INSERT INTO task_sla (kind, sla_hours, remind_pct, escalate_to, updated_by)"
                " VALUES (:k, :h, :p, :t, 'migration')"
            ).bindparams(k=kind, h=hours, p=pct, t=target)
        )
    grant_app_role()


def downgrade() -> None:
    """Drop task_sla (tasks already open keep the service level their workflow snapshotted)."""
    op.drop_index(op.f("ix_task_sla_entity_id"), table_name="task_sla")
    op.drop_table("task_sla")
