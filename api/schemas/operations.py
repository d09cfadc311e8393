"""Response models of health, command follow-up and the stuck-work view."""

from typing import Any

from pydantic import Field

from api.schemas.base import Reply, reply_examples


class Health(Reply):
    """The process answers."""

    status: str = Field(examples=["ok"])


class Readiness(Reply):
    """Whether the database and Temporal answer; 503 with the same body when one does not."""

    model_config = reply_examples({"status": "ready", "database": "ok", "temporal": "ok"})

    status: str = Field(description="ready or not ready")
    database: str = Field(description="ok, or error: <kind>")
    temporal: str = Field(description="ok, or error: <kind>")


class PendingCommands(Reply):
    """Commands accepted but not yet answered by their workflow."""

    model_config = reply_examples({"pending": 0, "oldest_seconds": None})

    pending: int
    oldest_seconds: float | None = Field(description="age of the oldest pending command; null when none")


class CommandView(Reply):
    """A command the API stored: pending, applied with its result, or rejected with the reason."""

    model_config = reply_examples(
        {
            "id": "7f549ffb-cc55-4c96-b72e-23461e9bd553",
            "kind": "update",
            "workflow_id": "PO-100012",
            "workflow_type": "PurchaseOrder",
            "update_name": "receive",
            "subject": "purchase order",
            "username": "wh.clerk",
            "entity_id": 1,
            "status": "applied",
            "http_status": 200,
            "result": {"stage": "received"},
            "attempts": 1,
            "last_error": None,
            "created_at": "2026-11-30T11:33:15.401646+00:00",
            "decided_at": "2026-11-30T11:33:15.901646+00:00",
        }
    )

    id: str
    kind: str = Field(description="start or update")
    workflow_id: str
    workflow_type: str | None
    update_name: str | None
    subject: str
    username: str
    entity_id: int | None
    status: str = Field(description="pending, applied or rejected")
    http_status: int | None = Field(description="the answer's status once decided")
    result: Any = Field(
        description="the answer's body once decided (the operation's own response or an error)"
    )
    attempts: int
    last_error: str | None
    created_at: str = Field(description="ISO 8601 timestamp with offset")
    decided_at: str | None = Field(description="ISO 8601 timestamp with offset")


class ParkedDocument(Reply):
    """A document whose step failed for good: its open needs-attention task."""

    task_id: int
    subject_type: str
    subject_id: str
    workflow_id: str
    step: str | None
    error: str | None
    since: str | None = Field(description="ISO 8601 timestamp with offset")


class RetryingStep(Reply):
    """A running workflow whose activity keeps failing."""

    workflow_id: str
    workflow_type: str
    activity: str
    attempt: int
    error: str | None
    last_failed_at: str | None = Field(description="ISO 8601 timestamp with offset")


class StuckWork(Reply):
    """Work that does not move: parked documents and activities failing again and again."""

    model_config = reply_examples(
        {
            "parked": [
                {
                    "task_id": 41,
                    "subject_type": "purchase_order",
                    "subject_id": "100012",
                    "workflow_id": "PO-100012",
                    "step": "post_receipt",
                    "error": "period closed",
                    "since": "2026-11-30T10:00:00+00:00",
                }
            ],
            "retrying": [],
        }
    )

    parked: list[ParkedDocument]
    retrying: list[RetryingStep]
