"""Response models of the open-item routes: open documents, the aging report, the AP/AR reconciliation."""

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Side = Literal["ar", "ap"]


class OpenItemRow(BaseModel):
    """One document with what is still open on it (what the counterparty owes us, or we owe it: > 0)."""

    id: int = Field(ge=1)
    entity_id: int = Field(ge=1)
    counterparty: str = Field(
        max_length=80, description="customer or marketplace channel (AR), supplier (AP)"
    )
    partner: str = Field(max_length=101, description="the ledger's partner tag, e.g. order:MKT-55012")
    document_type: str = Field(max_length=20)
    document_ref: str = Field(max_length=200)
    document_date: date
    due_date: date
    currency: str = Field(min_length=3, max_length=3)
    amount: Decimal = Field(description="the document's amount")
    open: Decimal = Field(description="what allocations have not settled yet")
    journal_entry_id: int = Field(ge=1)


class OpenItemList(BaseModel):
    """Open AP or AR documents of the caller's entities, oldest due first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "side": "ap",
                    "as_of": "2026-07-31",
                    "items": [
                        {
                            "id": 7,
                            "entity_id": 1,
                            "counterparty": "NORDTEX",
                            "partner": "supplier:1",
                            "document_type": "invoice",
                            "document_ref": "INV-2026-0711",
                            "document_date": "2026-07-11",
                            "due_date": "2026-08-10",
                            "currency": "EUR",
                            "amount": "1190.00",
                            "open": "690.00",
                            "journal_entry_id": 412,
                        }
                    ],
                }
            ]
        }
    )
    side: Side
    as_of: date
    items: list[OpenItemRow] = Field(max_length=1000)


class AgingRow(BaseModel):
    """One counterparty's open amounts per bucket of days overdue (by due date)."""

    entity_id: int = Field(ge=1)
    counterparty: str = Field(max_length=80)
    currency: str = Field(min_length=3, max_length=3)
    current: Decimal = Field(description="not yet due")
    d1_30: Decimal
    d31_60: Decimal
    d61_90: Decimal
    over_90: Decimal
    total: Decimal


class AgingReport(BaseModel):
    """AP or AR aging of the caller's entities (one entity when asked for)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "side": "ar",
                    "as_of": "2026-07-31",
                    "rows": [
                        {
                            "entity_id": 1,
                            "counterparty": "MKT-EU",
                            "currency": "EUR",
                            "current": "89.90",
                            "d1_30": "59.50",
                            "d31_60": "0",
                            "d61_90": "0",
                            "over_90": "0",
                            "total": "149.40",
                        }
                    ],
                }
            ]
        }
    )
    side: Side
    as_of: date
    rows: list[AgingRow] = Field(max_length=100_000)


class SideReconciliation(BaseModel):
    """Open items vs the control account of one side, in the entity's currency (payables positive)."""

    side: Side
    open_items: Decimal
    control: Decimal
    difference: Decimal
    unrecorded: list[dict[str, object]] = Field(
        max_length=50, description="entries on the control account that no open item records"
    )


class OpenItemReconciliation(BaseModel):
    """AP and AR open items compared with their control accounts for one entity."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entity_id": 1,
                    "as_of": "2026-07-31",
                    "sides": [
                        {
                            "side": "ap",
                            "open_items": "690.00",
                            "control": "690.00",
                            "difference": "0.00",
                            "unrecorded": [],
                        },
                        {
                            "side": "ar",
                            "open_items": "149.40",
                            "control": "149.40",
                            "difference": "0.00",
                            "unrecorded": [],
                        },
                    ],
                }
            ]
        }
    )
    entity_id: int = Field(ge=1)
    as_of: date
    sides: list[SideReconciliation] = Field(max_length=2)
