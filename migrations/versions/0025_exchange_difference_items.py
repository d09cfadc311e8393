"""exchange difference items: a realised exchange difference is an open item of the documents' currency with
nothing owed in it (amount 0) and the difference in the functional currency (amount_func), so the control
account still adds up to the items while nothing shows open or settles another document.

Revision ID: 0025
Revises: 0024
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """An item moves something: its document's currency, or only its functional value."""
    op.drop_constraint("open_item_amount", "open_item", type_="check")
    op.create_check_constraint("open_item_amount", "open_item", "amount <> 0 OR amount_func <> 0")


def downgrade() -> None:
    """Every item moves its document's currency again (fails while an exchange difference item exists)."""
    op.drop_constraint("open_item_amount", "open_item", type_="check")
    op.create_check_constraint("open_item_amount", "open_item", "amount <> 0")
