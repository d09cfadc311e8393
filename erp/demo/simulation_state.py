"""What a simulation keeps besides its driver: the summary it prints, the POs it follows, the catalogue it
sells from, and the error it stops with."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any


class SimulationError(RuntimeError):
    """The API refused something the simulator expected to work."""


@dataclass
class Summary:
    """What the run did, and what it left for people."""

    orders: int = 0
    shipments: int = 0
    purchase_orders: int = 0
    approvals: int = 0
    receipts: int = 0
    invoices: int = 0
    exceptions: int = 0
    returns: int = 0
    closes: int = 0
    tasks_waiting: int = 0

    def rows(self) -> list[tuple[str, int]]:
        """Label and count, in reading order."""
        return [
            ("orders", self.orders),
            ("shipments", self.shipments),
            ("purchase orders", self.purchase_orders),
            ("approvals", self.approvals),
            ("receipts", self.receipts),
            ("supplier invoices", self.invoices),
            ("exceptions raised (match, delay)", self.exceptions),
            ("returns", self.returns),
            ("month-end closes started", self.closes),
            ("tasks waiting for a person", self.tasks_waiting),
        ]


@dataclass
class Po:
    """A PO the simulator raised, with what it knows of its lines."""

    number: str
    supplier: str
    supplier_id: int
    currency: str
    day: date
    lines: list[dict[str, Any]]
    approved: bool = False
    received: dict[int, Decimal] = field(default_factory=dict)


@dataclass
class Catalogue:
    """Master data read once through the API."""

    entities: dict[str, int]
    locations: dict[str, int]
    skus: list[str]
    suppliers: dict[str, dict[str, Any]]
    prices: dict[int, list[tuple[int, Decimal]]]
    customers: list[str]
