"""Response models of the month-end close."""

from pydantic import Field

from api.schemas.base import Reply, record_model, reply_examples
from models.close import CloseDifference, CloseRun, CloseStep


class CloseStarted(Reply):
    """A close started (202), or already running or done for that period (200, `started` false)."""

    model_config = reply_examples(
        {"workflow_id": "Close-EU01-2026-10", "entity_code": "EU01", "period": "2026-10", "started": True}
    )

    workflow_id: str
    entity_code: str
    period: str
    started: bool = Field(description="false when the period's close workflow exists already")


class AccrualRequested(Reply):
    """An accrual request stored: the next close of the period accrues it, day 1 of the next reverses it."""

    entity_id: int
    period: str
    n: int = Field(description="the accrual's number within the entity's period")
    status: str = Field(description="requested")


_RUN = (
    "period",
    "workflow_id",
    "trigger",
    "status",
    "round",
    "started_at",
    "finished_at",
    "duration_seconds",
    "signed_off_by",
)
CloseRunItem = record_model(CloseRun, "CloseRunItem", only=_RUN)
CloseStepView = record_model(
    CloseStep,
    "CloseStepView",
    only=("round", "seq", "step", "started_at", "finished_at", "outcome", "details"),
)
CloseDifferenceView = record_model(
    CloseDifference,
    "CloseDifferenceView",
    only=("round", "check_name", "subledger", "control", "difference", "documents", "task_id"),
)
CloseRunView = record_model(
    CloseRun,
    "CloseRunView",
    only=(*_RUN, "statements"),
    checklist=(list[CloseStepView], ...),  # type: ignore[valid-type]
    differences=(list[CloseDifferenceView], ...),  # type: ignore[valid-type]
)
