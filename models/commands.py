"""Commands the API accepted: written before the answer, delivered to their workflow until it decides."""

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import created_at


class Command(SQLModel, table=True):
    """A workflow start or update that the API answered for; the relay re-sends it until it has an outcome."""

    __tablename__ = "api_command"
    __table_args__ = (
        CheckConstraint("status IN ('pending','applied','rejected')", name="api_command_status"),
        CheckConstraint("kind IN ('start','update')", name="api_command_kind"),
        Index("api_command_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
        Index("api_command_by_key", "username", "idempotency_key"),
    )
    id: str = Field(primary_key=True, max_length=36)
    # The workflow id plus the update id (or "start"): the same command twice is one row.
    dedup_key: str = Field(unique=True, max_length=600)
    kind: str = Field(max_length=10)
    workflow_id: str = Field(max_length=200, index=True)
    workflow_type: str = Field(max_length=80)
    update_name: str | None = Field(default=None, max_length=80)
    update_id: str | None = Field(default=None, max_length=300)
    arg_type: str | None = Field(default=None, max_length=200)
    payload: Any = Field(default=None, sa_type=JSONB, nullable=True)
    subject: str = Field(max_length=40)
    default_field: str = Field(max_length=80)
    username: str = Field(max_length=80)
    entity_id: int | None = Field(default=None)
    idempotency_key: str | None = Field(default=None, max_length=200)
    status: str = Field(default="pending", max_length=12)
    http_status: int | None = Field(default=None)
    result: Any = Field(default=None, sa_type=JSONB, nullable=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=DateTime(timezone=True))
    last_error: str | None = Field(default=None, max_length=2000)
    decided_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = created_at()
