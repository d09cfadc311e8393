"""identity: bearer tokens expire and can be revoked; a webhook secret rotates with an overlap window.

Tokens were already stored only as SHA-256 hashes (app_user.token_hash), so nothing is re-hashed here.
Existing tokens get the default lifetime from now on (90 days): operators rotate them before then
(`erp users rotate-token`, `POST /users/{id}/token`).

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKEN_EXPIRY_DEFAULT = sa.text("now() + interval '90 days'")


def upgrade() -> None:
    """Add the token's expiry and revocation, and the subscription's previous secret with its end."""
    # The server default fills every existing row, so the column can be NOT NULL at once.
    op.add_column(
        "app_user",
        sa.Column(
            "token_expires_at", sa.DateTime(timezone=True), server_default=TOKEN_EXPIRY_DEFAULT, nullable=False
        ),
    )
    op.add_column("app_user", sa.Column("token_revoked_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "webhook_subscription", sa.Column("previous_secret", sa.String(length=200), nullable=True)
    )
    op.add_column(
        "webhook_subscription",
        sa.Column("previous_secret_until", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    """Drop the columns again (tokens then never expire, an old webhook secret stops signing at once)."""
    op.drop_column("webhook_subscription", "previous_secret_until")
    op.drop_column("webhook_subscription", "previous_secret")
    op.drop_column("app_user", "token_revoked_at")
    op.drop_column("app_user", "token_expires_at")
