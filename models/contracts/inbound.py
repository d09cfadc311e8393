"""Inbound stock news passed from purchasing to whoever waits for that stock (backordered orders)."""

from datetime import date
from decimal import Decimal
from typing import Literal

from models.contracts.base import Contract


class InboundLine(Contract):
    """An item x location whose inbound changed, with the quantity received (0 for a date change)."""

    item_id: int
    location_id: int
    qty: Decimal = Decimal(0)


class InboundNotice(Contract):
    """Goods arrived, or the expected date of an open PO moved (supplier confirmation or delay)."""

    kind: Literal["arrived", "revised", "cancelled"]
    po_number: str | None
    expected_date: date | None = None
    lines: list[InboundLine]


class WaitFor(Contract):
    """Register a workflow as waiting for inbound stock (idempotent by waiter_key)."""

    waiter_key: str
    workflow_id: str
    workflow_type: str
    item_id: int
    location_id: int
    qty: Decimal
    po_number: str | None = None


class NotifyResult(Contract):
    """How many waiting workflows were told."""

    notified: int
