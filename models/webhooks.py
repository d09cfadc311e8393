"""Outbound webhooks: subscriptions, one delivery per (subscription, event), its attempts and dead letters;
and carrier bookings recorded by the built-in carrier port."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, DateTime, Integer, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from models.base import created_at

DELIVERY_STATUSES = ("pending", "delivered", "dead", "skipped")


class WebhookSubscription(SQLModel, table=True):
    """A receiver URL for events of some types (all when empty) and entities (all when empty)."""

    __tablename__ = "webhook_subscription"
    __table_args__ = (
        CheckConstraint("max_attempts BETWEEN 1 AND 50", name="webhook_subscription_attempts"),
        CheckConstraint("first_retry_seconds > 0", name="webhook_subscription_backoff"),
    )
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=80)
    url: str = Field(max_length=500)
    # HMAC needs the plain secret, so it is stored as given and never returned after creation.
    secret: str = Field(max_length=200)
    # After a rotation the old secret still signs deliveries (as a second signature) until this time.
    previous_secret: str | None = Field(default=None, max_length=200)
    previous_secret_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    event_types: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String(80)), nullable=False, server_default=text("'{}'")),
    )
    entity_ids: list[int] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(Integer()), nullable=False, server_default=text("'{}'")),
    )
    active: bool = True
    max_attempts: int = 8
    first_retry_seconds: float = 10.0
    created_by: str = Field(max_length=80)
    created_at: datetime | None = created_at()


class WebhookDelivery(SQLModel, table=True):
    """One event for one subscription; `run` grows with each replay, `started_run` is the run dispatched."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "outbox_id", name="webhook_delivery_key"),
        CheckConstraint(f"status IN {DELIVERY_STATUSES}", name="webhook_delivery_status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="webhook_subscription.id", index=True)
    outbox_id: int = Field(foreign_key="outbox_message.id", index=True)
    event_id: uuid.UUID
    event_type: str = Field(max_length=60)
    status: str = Field(default="pending", max_length=20)
    run: int = 1
    started_run: int = 0
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = None
    created_at: datetime | None = created_at()


class WebhookAttempt(SQLModel, table=True):
    """One HTTP POST of a delivery: the answer's status code or the transport error, and how long it took."""

    __tablename__ = "webhook_attempt"
    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", index=True)
    run: int
    attempt: int
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int
    created_at: datetime | None = created_at()


class WebhookDeadLetter(SQLModel, table=True):
    """A delivery run that failed every try; a replay from its event re-enqueues it."""

    __tablename__ = "webhook_dead_letter"
    __table_args__ = (UniqueConstraint("delivery_id", "run", name="webhook_dead_letter_key"),)
    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", index=True)
    run: int
    subscription_id: int = Field(foreign_key="webhook_subscription.id", index=True)
    event_id: uuid.UUID
    event_type: str = Field(max_length=60)
    attempts: int
    last_error: str | None = Field(default=None, max_length=500)
    replayed_at: datetime | None = None
    created_at: datetime | None = created_at()


class CarrierBooking(SQLModel, table=True):
    """A parcel handed to a carrier, with its validated tracking number (built-in carrier port)."""

    __tablename__ = "carrier_booking"
    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True, max_length=200)
    carrier: str = Field(max_length=40)
    tracking: str = Field(max_length=60)
    document_type: str = Field(max_length=40)
    document_id: str = Field(max_length=80)
    tracking_url: str | None = Field(default=None, max_length=300)
    service: str | None = Field(default=None, max_length=40)
    label_reference: str | None = Field(default=None, max_length=80)
    created_at: datetime | None = created_at()
