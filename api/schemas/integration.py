"""Request bodies of the integration API: webhook subscriptions and replays."""

import uuid

from pydantic import AnyHttpUrl, Field

from api.schemas.base import Body


class SubscriptionCreate(Body):
    """A receiver for events; leave `secret` out to get a generated one (shown once, in the answer)."""

    name: str = Field(min_length=1, max_length=80)
    url: AnyHttpUrl
    secret: str | None = Field(default=None, min_length=16, max_length=200)
    event_types: list[str] = Field(default_factory=list, description="empty: every event type")
    entity_ids: list[int] = Field(default_factory=list, description="empty: every entity")
    active: bool = True
    max_attempts: int = Field(default=8, ge=1, le=50)
    first_retry_seconds: float = Field(default=10.0, gt=0, le=3600)


class SubscriptionUpdate(Body):
    """Editable subscription fields; setting `secret` rotates it."""

    url: AnyHttpUrl | None = None
    secret: str | None = Field(default=None, min_length=16, max_length=200)
    event_types: list[str] | None = None
    entity_ids: list[int] | None = None
    active: bool | None = None
    max_attempts: int | None = Field(default=None, ge=1, le=50)
    first_retry_seconds: float | None = Field(default=None, gt=0, le=3600)


class ReplayRequest(Body):
    """Re-send this event and every later one the subscription wants."""

    from_event_id: uuid.UUID
