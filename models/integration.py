"""Outbound documents (outbox), processed API idempotency keys and one-shot side-effect claims."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import created_at


class OutboxMessage(SQLModel, table=True):
    """A document or event written in the same transaction as the change it reports."""

    __tablename__ = "outbox_message"
    # The dispatcher only ever scans the rows it has not fanned out yet.
    __table_args__ = (
        Index("outbox_message_undispatched", "id", postgresql_where=text("dispatched_at IS NULL")),
    )
    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True, max_length=200)
    kind: str = Field(max_length=60)
    entity_id: int | None = Field(default=None, foreign_key="entity.id")
    document_type: str = Field(max_length=40)
    document_id: str = Field(max_length=80)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    created_at: datetime | None = created_at()
    delivered_at: datetime | None = None
    # Envelope fields: the event id is uuid5 of the idempotency key (filled by emit or by the dispatcher
    # for rows written directly), so a retried activity always reports the same event.
    event_id: uuid.UUID | None = Field(default=None, unique=True)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    dispatched_at: datetime | None = None


class ApiIdempotency(SQLModel, table=True):
    """The first response to a client's Idempotency-Key, replayed when the client retries."""

    __tablename__ = "api_idempotency"
    key: str = Field(primary_key=True, max_length=200)
    username: str = Field(primary_key=True, max_length=80)
    method: str = Field(max_length=10)
    path: str = Field(max_length=300)
    body_hash: str = Field(max_length=64)
    status_code: int
    response: dict[str, Any] | list[Any] | None = Field(default=None, sa_type=JSONB)
    created_at: datetime | None = created_at()


class AppliedEffect(SQLModel, table=True):
    """A claimed key for a side effect that has no ledger row of its own (e.g. an inbound qty change)."""

    __tablename__ = "applied_effect"
    key: str = Field(primary_key=True, max_length=200)
    created_at: datetime | None = created_at()
