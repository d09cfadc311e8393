"""Supplier invoices in the ledger: the liability of an approved invoice (GRNI, variance, tax -> AP) and its
payment (AP -> bank)."""

from datetime import date
from decimal import Decimal

from sqlalchemy import text, update
from sqlmodel import Session, col

from models.contracts.purchasing import PaymentRequest
from models.purchasing import SupplierInvoice
from rules.matching import MatchResult
from rules.payment_terms import due_date
from rules.posting_rules import PostingDraft, invoice_matched, supplier_payment
from services.core import ledger, open_items
from services.purchasing import invoice_store
from services.purchasing import store as po_store
from services.purchasing.invoice_store import BilledLine, InvoiceHead

SOURCE = "purchase_order"


def post_entry(
    session: Session, po: po_store.PoHead, draft: PostingDraft, key: str, on: date, currency: str, memo: str
) -> int:
    """Post a drafted entry once per key, supplier-tagged; PO-currency entries use the PO's rate."""
    fx_rate = po.fx_rate if currency == po.currency else None
    lines = [
        ledger.LineIn(d.role, d.amount, d.memo, partner_type="supplier", partner_id=str(po.supplier_id))
        for d in draft.lines
    ]
    return ledger.post(
        session,
        ledger.PostingRequest(
            entity_id=po.entity_id,
            idempotency_key=key,
            posting_date=on,
            source_type=SOURCE,
            source_id=po.number,
            currency=currency,
            lines=lines,
            memo=memo,
            fx_rate=fx_rate,
        ),
    ).entry_id


def approve(
    session: Session,
    po: po_store.PoHead,
    inv: InvoiceHead,
    rows: list[BilledLine],
    results: list[MatchResult],
    on: date,
    status: str,
) -> int:
    """Post the matched (or accepted) invoice once and count its quantities as invoiced."""
    currency = inv.currency
    grni = sum((res.grni_value for res in results), Decimal(0))
    draft = invoice_matched(grni, inv.net, inv.tax, currency)
    entry = post_entry(
        session,
        po,
        draft,
        f"po:{po.number}:invoice:{inv.id}:gl",
        on,
        currency,
        f"supplier invoice {inv.invoice_number}",
    )
    due = due_date(inv.invoice_date, po.payment_terms)
    open_items.record(session, entry, "invoice", inv.invoice_number, due_date=due)
    if inv.status not in ("matched", "accepted", "paid"):
        for r in rows:
            if r.po_line_id is not None:
                session.connection().execute(
                    text("UPDATE purchase_order_line SET invoiced_qty = invoiced_qty + :q WHERE id = :id"),
                    {"q": r.invoiced_qty, "id": r.po_line_id},
                )
        invoice_store.set_status(session, inv.id, status, due)
    return entry


def _paid_by_run(session: Session, invoice_id: int) -> int | None:
    """The payment entry of a payment run that took the invoice (past proposing), if one did."""
    entry = (
        session.connection()
        .execute(
            text(
                "SELECT payment_entry_id FROM payment_run_item WHERE invoice_id = :i AND status <> 'proposed'"
            ),
            {"i": invoice_id},
        )
        .scalar()
    )
    return None if entry is None else int(entry)


def pay(session: Session, req: PaymentRequest) -> int:
    """Pay an approved invoice in full: AP -> bank, once per invoice."""
    po = po_store.head(session, req.number, lock=True)
    inv = invoice_store.locked(session, req.invoice_id)
    by_run = _paid_by_run(session, req.invoice_id)
    if by_run is not None:
        return by_run  # a payment run paid it first: the PO's own payment stands down
    amount = inv.net + inv.tax
    entry = post_entry(
        session,
        po,
        supplier_payment(amount, inv.currency),
        f"po:{po.number}:invoice:{inv.id}:payment",
        req.paid_on,
        inv.currency,
        f"payment of supplier invoice {inv.invoice_number}",
    )
    open_items.record(session, entry, "payment", f"payment:{inv.invoice_number}", against=inv.invoice_number)
    session.connection().execute(
        update(SupplierInvoice)
        .where(col(SupplierInvoice.id) == req.invoice_id)
        .values(status="paid", paid_on=req.paid_on)
    )
    po_store.audit(
        session,
        po,
        f"po:{po.number}:invoice:{inv.id}:paid",
        "invoice.paid",
        "system",
        {"amount": str(amount), "journal_entry_id": entry},
    )
    return entry
