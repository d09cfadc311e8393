"""Request bodies of the integration API: webhook subscriptions and replays."""

import uuid
from typing import Annotated, Any

from pydantic import ConfigDict, Field, HttpUrl, create_model

from api.schemas.base import Body, Id, Reply, examples, record_model
from models.webhooks import WebhookSubscription

EventType = Annotated[str, Field(min_length=1, max_length=80)]


class SubscriptionCreate(Body):
    """A receiver for events; leave `secret` out to get a generated one (shown once, in the answer)."""

    model_config = examples(
        {
            "name": "warehouse-app",
            "url": "https://wms.example.com/hooks/erp",
            "event_types": ["purchase_order.approved", "sales_order.shipped"],
            "entity_ids": [1],
        }
    )

    name: str = Field(min_length=1, max_length=80)
    url: HttpUrl  # at most 2,083 characters
    secret: str | None = Field(default=None, min_length=16, max_length=200)
    event_types: list[EventType] = Field(
        default_factory=list, max_length=200, description="empty: every event type"
    )
    entity_ids: list[Id] = Field(
        min_length=1, max_length=1000, description="the entities whose events it receives (all yours)"
    )
    active: bool = True
    max_attempts: int = Field(default=8, ge=1, le=50)
    first_retry_seconds: float = Field(default=10.0, gt=0, le=3600)


class SubscriptionUpdate(Body):
    """Editable subscription fields; setting `secret` rotates it."""

    model_config = examples({"active": False}, {"secret": "rotate-me-2026-07-a1b2c3d4"})

    url: HttpUrl | None = None
    secret: str | None = Field(default=None, min_length=16, max_length=200)
    event_types: list[EventType] | None = Field(default=None, max_length=200)
    entity_ids: list[Id] | None = Field(default=None, min_length=1, max_length=1000)
    active: bool | None = None
    max_attempts: int | None = Field(default=None, ge=1, le=50)
    first_retry_seconds: float | None = Field(default=None, gt=0, le=3600)


class ReplayRequest(Body):
    """Re-send this event and every later one the subscription wants."""

    model_config = examples({"from_event_id": "5f0c6c9e-8a2b-4d7e-9a51-3c2f4e1b7d10"})

    from_event_id: uuid.UUID


class SecretRotation(Body):
    """Rotate a subscription's secret; the old one also signs for `overlap_hours` (0: stops at once)."""

    model_config = examples({"overlap_hours": 24})

    overlap_hours: int | None = Field(
        default=None, ge=0, le=720, description="default ERP_WEBHOOK_SECRET_OVERLAP_HOURS (24)"
    )


# ---- Response models ---------------------------------------------------------------------------------------

SubscriptionView = record_model(
    WebhookSubscription,
    "SubscriptionView",
    only=tuple(f for f in WebhookSubscription.model_fields if f not in ("secret", "previous_secret")),
)
SubscriptionWithSecret = create_model(
    "SubscriptionWithSecret",
    __base__=SubscriptionView,
    __doc__="A subscription with its signing secret: shown this once.",
    secret=(str, Field(description="the HMAC secret receivers check signatures with; keep it")),
)


class EventTypeView(Reply):
    """An outbound event type: its name, version, document type and the JSON schema of its data."""

    type: str
    version: int
    document_type: str
    description: str
    schema_: dict[str, Any] = Field(alias="schema", description="JSON schema of the event's `data`")

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class ReplayAnswer(Reply):
    """How many deliveries a replay queued again."""

    subscription_id: int
    from_event_id: str
    replayed: int


class DeliveryView(Reply):
    """One event sent (or to be sent) to one subscription."""

    id: int
    subscription_id: int
    event_id: str
    event_type: str
    document_type: str
    document_id: str
    status: str = Field(description="pending, delivered, dead or skipped")
    run: int = Field(description="1, then one more per replay")
    attempts: int
    last_status_code: int | None
    last_error: str | None
    delivered_at: str | None = Field(description="ISO 8601 timestamp with offset")
    created_at: str = Field(description="ISO 8601 timestamp with offset")


class DeadLetterView(Reply):
    """A delivery that failed every try."""

    id: int
    delivery_id: int
    run: int
    subscription_id: int
    event_id: str
    event_type: str
    attempts: int
    last_error: str | None
    replayed_at: str | None = Field(description="ISO 8601 timestamp with offset")
    created_at: str = Field(description="ISO 8601 timestamp with offset")
