"""Contracts of the month-end close workflow and its activities."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from models.contracts.base import Contract


class CloseInput(Contract):
    """Close one entity's period; `period` None means "the period before now" in the entity's time zone."""

    entity_code: str
    period: str | None = None
    trigger: str = "schedule"
    requested_by: str = "system"


class EntityRef(Contract):
    """Look an entity up by its code."""

    entity_code: str


class EntityInfo(Contract):
    """What the close needs to know about an entity."""

    entity_id: int
    entity_code: str
    currency: str
    time_zone: str


class BeginClose(Contract):
    """Open (or resume) the close run of an entity's period."""

    entity_code: str
    period: str
    workflow_id: str
    trigger: str
    started_at: datetime


class DifferenceOut(Contract):
    """A reconciliation difference (subledger - control) and the documents that cause it."""

    check_name: str
    subledger: Decimal
    control: Decimal
    difference: Decimal
    documents: list[dict[str, Any]] = Field(default_factory=list)
    task_id: int | None = None


class CloseResult(Contract):
    """The outcome of a close: its status, duration, differences and headline figures."""

    run_id: int | None
    entity_code: str
    period: str
    status: str
    rounds: int = 1
    duration_seconds: Decimal | None = None
    signed_off_by: str | None = None
    differences: list[DifferenceOut] = Field(default_factory=list)
    net_income: Decimal | None = None
    total_assets: Decimal | None = None
    balanced: bool | None = None


class CloseContext(Contract):
    """The run being closed; `finished` holds the stored result when the period was closed before."""

    run_id: int
    entity_id: int
    entity_code: str
    currency: str
    period: str
    round: int
    finished: CloseResult | None = None


class StepInput(Contract):
    """One checklist step of a run; `started_at` is the workflow's clock when the step began."""

    run_id: int
    entity_id: int
    entity_code: str
    period: str
    round: int
    seq: int
    started_at: datetime


class StepResult(Contract):
    """How a checklist step ended and what it found."""

    step: str
    outcome: str
    details: dict[str, Any] = Field(default_factory=dict)


class ReconResult(Contract):
    """The reconciliations of a round: the differences to route to the controller."""

    differences: list[DifferenceOut] = Field(default_factory=list)


class DifferenceTask(Contract):
    """Remember which task carries a difference."""

    run_id: int
    round: int
    check_name: str
    task_id: int


class RecordStep(Contract):
    """Write a checklist line decided by the workflow itself (sign-off)."""

    run_id: int
    round: int
    seq: int
    step: str
    started_at: datetime
    finished_at: datetime
    outcome: str
    details: dict[str, Any] = Field(default_factory=dict)


class NextRound(Contract):
    """Start another round after a send-back."""

    run_id: int
    round: int


class FinishClose(Contract):
    """Build and store the statements, and record the close-cycle duration."""

    run_id: int
    entity_id: int
    entity_code: str
    period: str
    round: int
    seq: int
    started_at: datetime
    duration_seconds: Decimal
    signed_off_by: str | None = None


class SignOffWait(Contract):
    """Wait until the close waits for sign-off in at least this round (or has closed)."""

    round: int = 1


class OpenTaskView(Contract):
    """An open task of the close, as the controller sees it."""

    task_id: int
    kind: str
    check_name: str | None = None


class SignOffView(Contract):
    """Where the close stands and which tasks wait on the controller."""

    stage: str
    round: int
    tasks: list[OpenTaskView] = Field(default_factory=list)
