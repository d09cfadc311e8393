"""attention: a purchase order may be in stage needs_attention (a step failed for good, an admin decides).

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = (
    "draft",
    "approval",
    "issued",
    "delayed",
    "receiving",
    "matching",
    "exception",
    "awaiting_payment",
    "closed",
    "cancelled",
    "rejected",
)
_AFTER = (*_BEFORE, "needs_attention")


def _stage_check(stages: tuple[str, ...]) -> None:
    op.drop_constraint("purchase_order_stage", "purchase_order", type_="check")
    op.create_check_constraint(
        "purchase_order_stage", "purchase_order", f"stage IN ({', '.join(repr(s) for s in stages)})"
    )


def upgrade() -> None:
    """Allow needs_attention on purchase orders (sales orders and returns keep their stage as free text)."""
    _stage_check(_AFTER)


def downgrade() -> None:
    """Narrow the check again; refused while any PO still needs attention (its row would not fit)."""
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM purchase_order WHERE stage = 'needs_attention') THEN"
        " RAISE EXCEPTION 'purchase orders need attention: decide their tasks before downgrading'; END IF; END $$"
    )
    _stage_check(_BEFORE)
