"""Manual journal tables: a keyed journal waiting for approval (then posted, maybe reversed) and templates."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import created_at

JOURNAL_STATUSES = ("approval", "posted", "rejected", "reversed", "reversal_blocked")


class ManualJournal(SQLModel, table=True):
    """A journal a person keyed in: its lines as keyed, who made and approved it, the entries it posted."""

    __tablename__ = "manual_journal"
    __table_args__ = (
        CheckConstraint(
            f"status IN ({', '.join(repr(s) for s in JOURNAL_STATUSES)})", name="manual_journal_status"
        ),
        CheckConstraint(
            "reversal_date IS NULL OR reversal_date > posting_date", name="manual_journal_reversal_after"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=40)
    workflow_id: str = Field(max_length=200)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    currency: str = Field(max_length=3)
    posting_date: date
    reversal_date: date | None = None
    memo: str = Field(max_length=500)
    lines: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)
    status: str = Field(default="approval", max_length=20)
    maker: str = Field(max_length=80)
    approved_by: str | None = Field(default=None, max_length=80)
    entry_id: int | None = Field(default=None, foreign_key="journal_entry.id")
    reversal_entry_id: int | None = Field(default=None, foreign_key="journal_entry.id")
    reversal_posted_on: date | None = None
    template_id: int | None = Field(default=None, foreign_key="journal_template.id")
    created_at: datetime | None = created_at()


class JournalTemplate(SQLModel, table=True):
    """A recurring journal (rent, depreciation, an accrual): instantiated for a date as a new manual journal."""

    __tablename__ = "journal_template"
    __table_args__ = (UniqueConstraint("entity_id", "code", name="journal_template_key"),)
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    code: str = Field(max_length=30)
    memo: str = Field(max_length=500)
    currency: str = Field(max_length=3)
    lines: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)
    # Accruals: reverse on the first day of the period after the one posted in.
    auto_reverse: bool = False
    created_by: str = Field(max_length=80)
    created_at: datetime | None = created_at()
