"""Manual journals and journal templates: what a controller keys in, and what the API answers."""

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.base import Body, Id, examples
from models.contracts.bounds import Amount, Code, CurrencyCode, EventDate, PlanDate, PositiveAmount, Reference
from rules.journals import MAX_JOURNAL_LINES

JournalStatus = Literal["approval", "posted", "rejected", "reversed", "reversal_blocked"]
Memo = Field(min_length=1, max_length=500, examples=["November rent accrual"])
_LINES = Field(
    min_length=2,
    max_length=MAX_JOURNAL_LINES,
    description=f"2 to {MAX_JOURNAL_LINES} lines, debits = credits",
)
_RENT: list[Any] = [
    {"account": "6200", "debit": "1500.00", "memo": "rent, store Berlin"},
    {"account": "2150", "credit": "1500.00"},
]


class JournalLineBody(Body):
    """One line: an account code of the entity and either a debit or a credit."""

    account: Code = Field(examples=["6200"])
    debit: Amount = Field(default=Decimal(0), examples=["1500.00"])
    credit: Amount = Field(default=Decimal(0), examples=["0"])
    memo: str = Field(default="", max_length=200)


class JournalBody(Body):
    """A manual journal: it posts once a controller other than its maker approves it."""

    model_config = examples(
        {"entity_id": 1, "posting_date": "2025-11-30", "memo": "November rent accrual", "lines": _RENT},
        {
            "entity_id": 1,
            "posting_date": "2025-11-30",
            "memo": "November rent accrual, reversed in December",
            "lines": _RENT,
            "reversal_date": "2025-12-01",
        },
    )

    entity_id: Id
    posting_date: EventDate
    memo: str = Memo
    lines: list[JournalLineBody] = _LINES
    currency: CurrencyCode | None = Field(default=None, description="default: the entity's currency")
    reversal_date: PlanDate | None = Field(
        default=None, description="post the reverse entry on this date (next open period if it is closed)"
    )


class TemplateBody(Body):
    """A recurring journal, instantiated for a date into a manual journal (with its approval)."""

    model_config = examples(
        {
            "entity_id": 1,
            "code": "RENT-BERLIN",
            "memo": "Monthly rent accrual",
            "lines": _RENT,
            "auto_reverse": True,
        }
    )

    entity_id: Id
    code: Code = Field(examples=["RENT-BERLIN"])
    memo: str = Memo
    lines: list[JournalLineBody] = _LINES
    currency: CurrencyCode | None = None
    auto_reverse: bool = Field(default=False, description="reverse on the first day of the next period")


class InstantiateBody(Body):
    """Make a template's journal for one date; a reversal date given here wins over auto_reverse."""

    model_config = examples({"posting_date": "2025-11-30"})

    posting_date: EventDate
    reversal_date: PlanDate | None = None


class _Answer(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class JournalAccepted(_Answer):
    """The journal was stored and its approval asked for."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"number": "MJ0001000", "workflow_id": "ManualJournal-1-MJ0001000", "status": "approval"}
            ]
        }
    )

    number: str = Field(max_length=40)
    workflow_id: str = Field(max_length=200)
    status: Literal["approval", "pending"]


class ManualJournalLineView(_Answer):
    """A line as it will post: signed amount (debit > 0, credit < 0) in the journal's currency."""

    account: str
    amount: Decimal
    memo: str = ""


class JournalView(_Answer):
    """A manual journal: its lines, who made and approved it, and the ledger entries it posted."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": "MJ0001000",
                    "workflow_id": "ManualJournal-1-MJ0001000",
                    "entity_id": 1,
                    "currency": "EUR",
                    "posting_date": "2025-11-30",
                    "reversal_date": "2025-12-01",
                    "memo": "November rent accrual",
                    "lines": [
                        {"account": "6200", "amount": "1500.00", "memo": ""},
                        {"account": "2150", "amount": "-1500.00", "memo": ""},
                    ],
                    "status": "posted",
                    "maker": "alice",
                    "approved_by": "carol",
                    "entry_id": 812,
                }
            ]
        }
    )

    number: str
    workflow_id: str
    entity_id: int
    currency: str
    posting_date: date
    reversal_date: date | None = None
    memo: str
    lines: list[ManualJournalLineView]
    status: JournalStatus
    maker: str
    approved_by: str | None = None
    entry_id: int | None = None
    reversal_entry_id: int | None = None
    reversal_posted_on: date | None = None
    template_id: int | None = None


class TemplateLineView(_Answer):
    """A template line as keyed: account, debit, credit."""

    account: str
    debit: Decimal
    credit: Decimal
    memo: str = ""


class TemplateView(_Answer):
    """A stored journal template."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "entity_id": 1,
                    "code": "RENT-BERLIN",
                    "memo": "Monthly rent accrual",
                    "currency": "EUR",
                    "lines": _RENT,
                    "auto_reverse": True,
                    "created_by": "alice",
                }
            ]
        }
    )

    id: int
    entity_id: int
    code: str
    memo: str
    currency: str
    lines: list[TemplateLineView]
    auto_reverse: bool
    created_by: str


class IntercompanyBody(Body):
    """A sale between two entities of the group: the seller's receivable, the buyer's payable."""

    model_config = examples(
        {
            "reference": "IC-2025-11-001",
            "seller_entity_id": 1,
            "buyer_entity_id": 2,
            "posting_date": "2025-11-30",
            "currency": "EUR",
            "amount": "2500.00",
            "seller_account": "4000",
            "buyer_account": "5200",
            "memo": "November logistics services",
        }
    )

    reference: Reference = Field(examples=["IC-2025-11-001"])
    seller_entity_id: Id
    buyer_entity_id: Id
    posting_date: EventDate
    currency: CurrencyCode
    amount: PositiveAmount
    seller_account: Code = Field(description="the seller's income account code", examples=["4000"])
    buyer_account: Code = Field(description="the buyer's cost account code", examples=["5200"])
    memo: str = Field(default="", max_length=500)


class IntercompanyAccepted(_Answer):
    """The charge's workflow was started: both sides post together."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reference": "IC-2025-11-001",
                    "workflow_id": "Intercompany-1-IC-2025-11-001",
                    "status": "posted",
                }
            ]
        }
    )

    reference: str
    workflow_id: str
    status: Literal["posted", "pending"]
