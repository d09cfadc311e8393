"""Response models of the books: trial balance, journal entries, stock balances, the audit trail."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from api.schemas.base import Reply, reply_examples


class JournalLineView(Reply):
    """One line of a journal entry (amounts are JSON numbers, as PostgreSQL aggregates them)."""

    account: str
    role: str | None
    currency: str
    amount: float
    amount_func: float


class PostingView(Reply):
    """A journal entry a document posted."""

    id: int
    idempotency_key: str
    posting_date: date
    memo: str | None
    reverses_entry_id: int | None
    lines: list[JournalLineView]


class HistoryEvent(Reply):
    """An audited act on a document: when, who, for whom, what, and the state after."""

    at: datetime | None
    actor: str
    acting_for: str | None
    action: str
    after: dict[str, Any] | None


class JournalEntryView(PostingView):
    """A journal entry with the entity and the document that posted it."""

    entity_id: int
    source_type: str
    source_id: str


class TrialBalanceLine(Reply):
    """An account's balance as a debit or a credit (functional currency)."""

    code: str
    name: str
    type: str
    role: str | None
    debit: Decimal
    credit: Decimal


class TrialBalance(Reply):
    """An entity's trial balance up to a date: debits equal credits when the books are balanced."""

    model_config = reply_examples(
        {
            "entity_id": 1,
            "as_of": "2026-10-31",
            "lines": [
                {
                    "code": "1200",
                    "name": "Inventory",
                    "type": "asset",
                    "role": "inventory",
                    "debit": "105.00",
                    "credit": "0",
                },
                {
                    "code": "2100",
                    "name": "GRNI",
                    "type": "liability",
                    "role": "grni",
                    "debit": "0",
                    "credit": "105.00",
                },
            ],
            "total_debit": "105.00",
            "total_credit": "105.00",
            "balanced": True,
        }
    )

    entity_id: int
    as_of: date | None
    lines: list[TrialBalanceLine]
    total_debit: Decimal
    total_credit: Decimal
    balanced: bool


class StockBalanceView(Reply):
    """An item at a location: quantities and value (functional currency)."""

    item_id: int
    sku: str
    location_id: int
    location: str = Field(description="the location's code")
    on_hand: Decimal
    reserved: Decimal
    inbound: Decimal
    in_transit: Decimal
    value: Decimal
    available: Decimal = Field(description="on hand less reserved")
    projected: Decimal = Field(description="on hand + inbound + in transit - reserved")


class AuditRow(HistoryEvent):
    """An audited act with the state before it and the entity it belongs to."""

    before: dict[str, Any] | None
    entity_id: int | None
