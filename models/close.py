"""Month-end close: the run per entity and period, its checklist, reconciliation differences, accruals."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import MONEY, created_at


class CloseRun(SQLModel, table=True):
    """One close of one entity's period; re-runs of the same period reuse the row."""

    __tablename__ = "close_run"
    __table_args__ = (
        UniqueConstraint("entity_id", "period", name="close_run_key"),
        CheckConstraint(
            "status IN ('running','awaiting_signoff','closed','failed')", name="close_run_status"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id")
    period: str = Field(max_length=7)
    workflow_id: str = Field(max_length=200)
    trigger: str = Field(default="manual", max_length=20)
    status: str = Field(default="running", max_length=20)
    round: int = 1
    started_at: datetime = Field(sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    duration_seconds: Decimal | None = Field(default=None, sa_type=MONEY)
    signed_off_by: str | None = Field(default=None, max_length=80)
    statements: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    created_at: datetime | None = created_at()


class CloseStep(SQLModel, table=True):
    """One checklist line of a close run: which step, in which round, when, and how it ended."""

    __tablename__ = "close_step"
    __table_args__ = (
        UniqueConstraint("run_id", "round", "step", name="close_step_key"),
        CheckConstraint(
            "outcome IN ('ok','differences','sent_back','approved','skipped','failed')",
            name="close_step_outcome",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="close_run.id", index=True)
    round: int = 1
    seq: int
    step: str = Field(max_length=30)
    started_at: datetime = Field(sa_type=DateTime(timezone=True))
    finished_at: datetime = Field(sa_type=DateTime(timezone=True))
    outcome: str = Field(max_length=20)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)


class CloseDifference(SQLModel, table=True):
    """A subledger that disagrees with its control account at period end, with the documents behind it."""

    __tablename__ = "close_difference"
    __table_args__ = (UniqueConstraint("run_id", "round", "check_name", name="close_difference_key"),)
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="close_run.id", index=True)
    round: int = 1
    check_name: str = Field(max_length=30)
    subledger: Decimal = Field(sa_type=MONEY)
    control: Decimal = Field(sa_type=MONEY)
    difference: Decimal = Field(sa_type=MONEY)
    documents: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)
    task_id: int | None = Field(default=None, foreign_key="task.id")
    created_at: datetime | None = created_at()


class CloseAccrual(SQLModel, table=True):
    """A bill to receive: accrued at period end, reversed on day 1 of the next period."""

    __tablename__ = "close_accrual"
    __table_args__ = (
        UniqueConstraint("entity_id", "period", "n", name="close_accrual_key"),
        CheckConstraint("amount > 0", name="close_accrual_positive"),
        CheckConstraint("status IN ('requested','posted')", name="close_accrual_status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id")
    period: str = Field(max_length=7)
    n: int
    description: str = Field(max_length=200)
    expense_role: str = Field(max_length=40)
    amount: Decimal = Field(sa_type=MONEY)
    requested_by: str = Field(max_length=80)
    status: str = Field(default="requested", max_length=20)
    entry_id: int | None = Field(default=None, foreign_key="journal_entry.id")
    reversal_entry_id: int | None = Field(default=None, foreign_key="journal_entry.id")
    created_at: datetime | None = created_at()


__all__ = ["CloseAccrual", "CloseDifference", "CloseRun", "CloseStep"]
