"""Response models of the approvers' inbox."""

from pydantic import Field

from api.schemas.base import record_model
from models.tasks import Task

TaskView = record_model(Task, "TaskView")
TaskInboxItem = record_model(
    Task,
    "TaskInboxItem",
    delegated_by=(str | None, Field(description="whom the caller would act for when the task is only lent")),
)
