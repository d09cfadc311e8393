"""Open items: AP/AR documents with the amount still owed, and the allocations that settle them."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from models.base import MONEY, created_at

SIDES = ("ar", "ap")
DOCUMENT_TYPES = (
    "shipment",
    "capture",
    "refund",
    "credit_note",
    "settlement",
    "invoice",
    "landed_cost",
    "debit_note",
    "payment",
)


class OpenItem(SQLModel, table=True):
    """One AP/AR document as the control account saw it (signed like the ledger: debit > 0); append-only."""

    __tablename__ = "open_item"
    __table_args__ = (
        CheckConstraint("side IN ('ar','ap')", name="open_item_side"),
        CheckConstraint(
            f"document_type IN ({', '.join(repr(t) for t in DOCUMENT_TYPES)})", name="open_item_type"
        ),
        # A realised exchange difference moves only the functional value of a foreign-currency document.
        CheckConstraint("amount <> 0 OR amount_func <> 0", name="open_item_amount"),
        Index("open_item_partner", "entity_id", "side", "partner_type", "partner_id", "currency"),
    )
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id")
    side: str = Field(max_length=2)
    partner_type: str = Field(max_length=20)
    partner_id: str = Field(max_length=80)
    counterparty: str = Field(max_length=80)
    document_type: str = Field(max_length=20)
    document_ref: str = Field(max_length=200)
    document_date: date
    due_date: date
    currency: str = Field(max_length=3)
    amount: Decimal = Field(sa_type=MONEY)
    amount_func: Decimal = Field(sa_type=MONEY)
    journal_entry_id: int = Field(foreign_key="journal_entry.id", index=True)
    idempotency_key: str = Field(unique=True, max_length=200)
    created_at: datetime | None = created_at()


class OpenItemAllocation(SQLModel, table=True):
    """A debit item and a credit item of the same partner settle each other by `amount`; append-only."""

    __tablename__ = "open_item_allocation"
    __table_args__ = (CheckConstraint("amount > 0", name="open_item_allocation_amount"),)
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id")
    debit_item_id: int = Field(foreign_key="open_item.id", index=True)
    credit_item_id: int = Field(foreign_key="open_item.id", index=True)
    amount: Decimal = Field(sa_type=MONEY)
    allocated_on: date
    idempotency_key: str = Field(unique=True, max_length=200)
    created_at: datetime | None = created_at()


__all__ = ["DOCUMENT_TYPES", "SIDES", "OpenItem", "OpenItemAllocation"]
