"""integration schema: event envelope columns on the outbox, webhook subscriptions, deliveries, attempts,
dead letters, carrier bookings, and a NOTIFY that wakes the dispatcher when an outbox row commits.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# NOTIFY is delivered at commit and never for a rolled-back transaction: the dispatcher wakes only for
# facts that happened. One notification per statement is enough (it carries no payload).
NOTIFY_SQL = """
CREATE FUNCTION erp_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('erp_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_message_notify AFTER INSERT ON outbox_message
    FOR EACH STATEMENT EXECUTE FUNCTION erp_outbox_notify();
"""


def upgrade() -> None:
    """Extend the outbox with the envelope and create the webhook tables."""
    op.add_column('outbox_message', sa.Column('event_id', sa.Uuid(), nullable=True))
    op.add_column('outbox_message', sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    op.add_column('outbox_message', sa.Column('dispatched_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_unique_constraint('outbox_message_event_id_key', 'outbox_message', ['event_id'])
    op.create_index('outbox_message_undispatched', 'outbox_message', ['id'], unique=False,
                    postgresql_where=sa.text('dispatched_at IS NULL'))
    op.execute(NOTIFY_SQL)

    op.create_table('webhook_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('event_types', postgresql.ARRAY(sa.String(length=80)), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('entity_ids', postgresql.ARRAY(sa.Integer()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('first_retry_seconds', sa.Float(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('max_attempts BETWEEN 1 AND 50', name='webhook_subscription_attempts'),
    sa.CheckConstraint('first_retry_seconds > 0', name='webhook_subscription_backoff'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('event_type', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('run', sa.Integer(), nullable=False),
    sa.Column('started_run', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('delivered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'delivered', 'dead', 'skipped')", name='webhook_delivery_status'),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox_message.id'], ),
    sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscription.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subscription_id', 'outbox_id', name='webhook_delivery_key')
    )
    op.create_index(op.f('ix_webhook_delivery_outbox_id'), 'webhook_delivery', ['outbox_id'], unique=False)
    op.create_index(op.f('ix_webhook_delivery_subscription_id'), 'webhook_delivery', ['subscription_id'],
                    unique=False)
    op.create_table('webhook_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('run', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_delivery.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_webhook_attempt_delivery_id'), 'webhook_attempt', ['delivery_id'], unique=False)
    op.create_table('webhook_dead_letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('run', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('event_type', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('replayed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_delivery.id'], ),
    sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscription.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('delivery_id', 'run', name='webhook_dead_letter_key')
    )
    op.create_index(op.f('ix_webhook_dead_letter_delivery_id'), 'webhook_dead_letter', ['delivery_id'],
                    unique=False)
    op.create_index(op.f('ix_webhook_dead_letter_subscription_id'), 'webhook_dead_letter', ['subscription_id'],
                    unique=False)
    op.create_table('carrier_booking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('carrier', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('tracking', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('document_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('document_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('tracking_url', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    from migrations.privileges import grant_app_role

    grant_app_role()


def downgrade() -> None:
    """Drop the integration tables and the envelope columns."""
    op.drop_table('carrier_booking')
    op.drop_table('webhook_dead_letter')
    op.drop_table('webhook_attempt')
    op.drop_table('webhook_delivery')
    op.drop_table('webhook_subscription')
    op.execute("DROP TRIGGER outbox_message_notify ON outbox_message")
    op.execute("DROP FUNCTION erp_outbox_notify()")
    op.drop_index('outbox_message_undispatched', table_name='outbox_message',
                  postgresql_where=sa.text('dispatched_at IS NULL'))
    op.drop_constraint('outbox_message_event_id_key', 'outbox_message', type_='unique')
    op.drop_column('outbox_message', 'dispatched_at')
    op.drop_column('outbox_message', 'version')
    op.drop_column('outbox_message', 'event_id')
