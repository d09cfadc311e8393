"""What an order workflow remembers about each line: holds, shipped, backordered, cancelled (pure)."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from models.contracts.sales import LineStatus, PricedLine

_ZERO = Decimal(0)


@dataclass
class Hold:
    """Stock reserved for the line at one location under a reservation key."""

    key: str
    location_id: int
    qty: Decimal


@dataclass
class LineState:
    """Progress of one order line inside the workflow."""

    line: PricedLine
    holds: dict[str, Hold] = field(default_factory=dict)
    shipped: Decimal = _ZERO
    cancelled: Decimal = _ZERO
    backordered: Decimal = _ZERO
    promised: date | None = None
    po_number: str | None = None
    waiters: list[str] = field(default_factory=list)
    watched_locations: list[int] = field(default_factory=list)
    deadline: datetime | None = None
    task_id: int | None = None

    @property
    def reserved(self) -> Decimal:
        """Quantity held in stock for the line right now."""
        return sum((h.qty for h in self.holds.values()), _ZERO)

    @property
    def open_qty(self) -> Decimal:
        """Quantity neither shipped nor cancelled."""
        return self.line.qty - self.shipped - self.cancelled

    def holds_at(self, location_id: int) -> list[Hold]:
        """The line's holds at one location."""
        return [h for h in self.holds.values() if h.location_id == location_id]

    def status(self) -> LineStatus:
        """The line as the status query shows it."""
        return LineStatus(
            line_no=self.line.line_no,
            sku=self.line.sku,
            qty=self.line.qty,
            reserved=self.reserved,
            shipped=self.shipped,
            backordered=self.backordered,
            cancelled=self.cancelled,
            promised_date=self.promised,
        )
