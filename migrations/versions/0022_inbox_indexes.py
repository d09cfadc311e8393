"""inbox indexes: open tasks per entity and candidate (role, user, or any for admins) in due order.

The inbox reads the first page of each (entity, candidate) in due order and merges them, so a page costs
the same at 100,000 open tasks as at 100.

Revision ID: 0022
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    """Three partial indexes over open tasks, each ending in the inbox's order (due_at, id)."""
    op.create_index(
        "task_inbox_by_role", "task", ["entity_id", "candidate_role", "due_at", "id"], postgresql_where=_OPEN
    )
    op.create_index(
        "task_inbox_by_user", "task", ["entity_id", "candidate_user", "due_at", "id"], postgresql_where=_OPEN
    )
    op.create_index("task_inbox_by_entity", "task", ["entity_id", "due_at", "id"], postgresql_where=_OPEN)


def downgrade() -> None:
    """Drop the three indexes."""
    op.drop_index("task_inbox_by_entity", table_name="task")
    op.drop_index("task_inbox_by_user", table_name="task")
    op.drop_index("task_inbox_by_role", table_name="task")
