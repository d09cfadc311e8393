"""Supplier invoice rows: the invoice head, its lines with the PO lines they bill, the latest match verdicts
and the invoice's status."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select, text
from sqlmodel import Session, col

from models.purchasing import SupplierInvoice
from rules.matching import MatchResult
from services.core.errors import NotFound
from services.purchasing.store import key_of


@dataclass(frozen=True, slots=True)
class InvoiceHead:
    """The invoice facts matching, posting and payment need."""

    id: int
    invoice_number: str
    invoice_date: date
    currency: str
    net: Decimal
    tax: Decimal
    status: str
    kind: str
    allocation_basis: str | None


@dataclass(frozen=True, slots=True)
class InvoiceRef:
    """A registered supplier invoice number: its row and the PO it was registered on."""

    id: int
    po_id: int


@dataclass(frozen=True, slots=True)
class BilledLine:
    """An invoice line with the PO line it bills (None when it names no PO line) and that line's counts."""

    invoice_line_id: int
    invoiced_qty: Decimal
    invoice_price: Decimal
    po_line_id: int | None
    line_no: int | None
    ordered_qty: Decimal | None
    received_qty: Decimal | None
    previously_invoiced: Decimal | None
    po_price: Decimal | None
    category: str | None


def locked(session: Session, invoice_id: int) -> InvoiceHead:
    """The invoice by id, locked for the rest of the transaction; NotFound otherwise."""
    row = (
        session.connection()
        .execute(
            select(
                col(SupplierInvoice.id),
                col(SupplierInvoice.invoice_number),
                col(SupplierInvoice.invoice_date),
                col(SupplierInvoice.currency),
                col(SupplierInvoice.net),
                col(SupplierInvoice.tax),
                col(SupplierInvoice.status),
                col(SupplierInvoice.kind),
                col(SupplierInvoice.allocation_basis),
            )
            .where(col(SupplierInvoice.id) == invoice_id)
            .with_for_update()
        )
        .first()
    )
    if row is None:
        raise NotFound("invoice_id", f"invoice {invoice_id} does not exist")
    return InvoiceHead(
        id=key_of(row.id),
        invoice_number=str(row.invoice_number),
        invoice_date=row.invoice_date,
        currency=str(row.currency),
        net=Decimal(row.net),
        tax=Decimal(row.tax),
        status=str(row.status),
        kind=str(row.kind),
        allocation_basis=row.allocation_basis,
    )


def by_number(session: Session, supplier_id: int, invoice_number: str) -> InvoiceRef | None:
    """The supplier's invoice with this number, if it is registered (on any PO)."""
    row = (
        session.connection()
        .execute(
            select(col(SupplierInvoice.id), col(SupplierInvoice.po_id)).where(
                col(SupplierInvoice.supplier_id) == supplier_id,
                col(SupplierInvoice.invoice_number) == invoice_number,
            )
        )
        .first()
    )
    return None if row is None else InvoiceRef(id=key_of(row.id), po_id=int(row.po_id))


# Outer joins: an invoice line may name no PO line (it then fails the match as "not on the PO").
_BILLED_LINES = """
    SELECT il.id AS invoice_line_id, il.qty AS invoiced_qty, il.price AS invoice_price, pl.id AS po_line_id,
           pl.line_no, pl.qty AS ordered_qty, pl.received_qty, pl.invoiced_qty AS previously_invoiced,
           pl.price AS po_price, i.category
      FROM supplier_invoice_line il
      LEFT JOIN purchase_order_line pl ON pl.id = il.po_line_id
      LEFT JOIN item i ON i.id = pl.item_id
     WHERE il.invoice_id = :inv ORDER BY il.line_no
"""


def _decimal_or_none(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def billed_lines(session: Session, invoice_id: int) -> list[BilledLine]:
    """The invoice's lines in line order, each with the PO line it bills."""
    rows = session.connection().execute(text(_BILLED_LINES), {"inv": invoice_id}).all()
    return [
        BilledLine(
            invoice_line_id=int(r.invoice_line_id),
            invoiced_qty=Decimal(r.invoiced_qty),
            invoice_price=Decimal(r.invoice_price),
            po_line_id=None if r.po_line_id is None else int(r.po_line_id),
            line_no=None if r.line_no is None else int(r.line_no),
            ordered_qty=_decimal_or_none(r.ordered_qty),
            received_qty=_decimal_or_none(r.received_qty),
            previously_invoiced=_decimal_or_none(r.previously_invoiced),
            po_price=_decimal_or_none(r.po_price),
            category=None if r.category is None else str(r.category),
        )
        for r in rows
    ]


# The verdict as first stored is the one that counts: the lines of the invoice's latest attempt.
_LATEST_VERDICTS = """
    SELECT invoice_line_id, status, reasons, grni_value, invoice_value, price_variance FROM invoice_match
     WHERE invoice_id = :i AND attempt = (SELECT max(attempt) FROM invoice_match WHERE invoice_id = :i)
     ORDER BY invoice_line_id
"""


def latest_verdicts(session: Session, invoice_id: int) -> list[MatchResult]:
    """The match results of the invoice's latest attempt, by invoice line."""
    rows = session.connection().execute(text(_LATEST_VERDICTS), {"i": invoice_id}).all()
    return [
        MatchResult(
            # The stored verdict is by invoice line; callers use only its status, reasons and amounts.
            po_line_id=str(r.invoice_line_id),
            status=r.status,
            reasons=tuple(r.reasons),
            grni_value=Decimal(r.grni_value),
            invoice_value=Decimal(r.invoice_value),
            price_variance=Decimal(r.price_variance),
        )
        for r in rows
    ]


def set_status(session: Session, invoice_id: int, status: str, due: date | None) -> None:
    """Move the invoice to a status; a due date given replaces the one it had."""
    session.connection().execute(
        text("UPDATE supplier_invoice SET status = :s, due_date = COALESCE(:d, due_date) WHERE id = :i"),
        {"s": status, "d": due, "i": invoice_id},
    )
