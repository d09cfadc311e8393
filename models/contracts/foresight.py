"""Contracts of the scheduled master-data quality check and its activities."""

from datetime import date

from pydantic import Field

from models.contracts.base import Contract


class DataQualityInput(Contract):
    """Check one entity's master data; `day` None means today (UTC) when the run starts."""

    entity_code: str
    day: date | None = None
    trigger: str = "schedule"


class ScanRequest(Contract):
    """Run every rule for an entity on a day and record what was found and what got fixed."""

    entity_code: str
    day: date


class NewProblem(Contract):
    """An open problem that has no task yet (new today, or come back after a fix)."""

    problem_id: int
    problem_key: str
    occurrence: int
    rule: str
    record_type: str
    record_id: str
    record_label: str
    owner_role: str
    description: str


class ScanResult(Contract):
    """What one check found: open problems, the ones needing a task, and how many got fixed."""

    entity_id: int
    entity_code: str
    day: date
    open_problems: int
    fixed: int
    new: list[NewProblem] = Field(default_factory=list)


class OpenProblemTasks(Contract):
    """Open the data owner's task for each problem (once per problem occurrence)."""

    entity_id: int
    workflow_id: str
    workflow_type: str
    problems: list[NewProblem]


class ProblemTasksOpened(Contract):
    """Problem id -> the task opened for it."""

    tasks: dict[int, int]


class DataQualityResult(Contract):
    """The outcome of one check run."""

    entity_code: str
    day: date
    open_problems: int
    new_problems: int
    fixed: int
    tasks_opened: int
