"""Supplier invoices in the ledger: the liability of an approved invoice (GRNI, variance, tax -> AP) and its
payment (AP -> bank).

The rate of a foreign-currency supplier invoice is the PO's. Every posting in the PO's currency (receipt, invoice,
the PO's own payment) uses `po.fx_rate`, the rate of the PO's order date, whatever day the invoice is dated: the
PO fixes the rate (SAP's "exchange rate fixed" on a PO), so no exchange difference arises between order, receipt
and invoice. The difference to the market is realised at payment: a payment run pays at its run date's rate and
books what that costs more or less than the payable's booked value as realised FX (services/payments/
run_payments.py); a PO paying itself pays at its own rate, so the bank carries the PO's rate and nothing is
realised (only the rounding cent of a rest, below). Tested once, hand-computed, by tests/payments/test_fx_month.py
(`test_a_group_month_in_three_currencies_adds_up_to_the_cent`: USD ordered at 0.80, invoiced on a 0.78 day,
booked at 0.80 and paid by a run at 0.78 for a realised gain of 25.00).

A run may pay an invoice in part (migration 0023). The PO paying itself on the due date then pays what is left
open, not the whole invoice, and not nothing: the run's part never stands for the whole."""

from datetime import date
from decimal import Decimal

from sqlalchemy import text, update
from sqlmodel import Session, col

from models.contracts.purchasing import PaymentRequest
from models.purchasing import SupplierInvoice
from rules.matching import MatchResult
from rules.partial_payments import booked_share
from rules.payment_terms import due_date
from rules.posting_rules import PostingDraft, invoice_matched, supplier_payment
from rules.realised_fx import realised_fx_posting, realised_on_payable
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


def booked_payable(session: Session, po_number: str, invoice_id: int) -> Decimal:
    """What the invoice's payable was booked at in the functional currency (credit shown positive)."""
    value = (
        session.connection()
        .execute(
            text(
                "SELECT -COALESCE(sum(l.amount_func), 0) FROM journal_line l"
                " JOIN journal_entry e ON e.id = l.entry_id JOIN account a ON a.id = l.account_id"
                " WHERE e.idempotency_key = :k AND a.role = 'ap'"
            ),
            {"k": f"po:{po_number}:invoice:{invoice_id}:gl"},
        )
        .scalar()
    )
    return Decimal(value or 0)


def _paid_by_runs(session: Session, invoice_id: int) -> tuple[Decimal, int | None]:
    """What payment runs paid of the invoice (past proposing), and the latest run's payment entry."""
    paid, entry = (
        session.connection()
        .execute(
            text(
                "SELECT COALESCE(sum(amount), 0), max(payment_entry_id) FROM payment_run_item"
                " WHERE invoice_id = :i AND status <> 'proposed'"
            ),
            {"i": invoice_id},
        )
        .one()
    )
    return Decimal(paid), None if entry is None else int(entry)


def _rest_rounding(
    session: Session, po: po_store.PoHead, inv: InvoiceHead, before: Decimal, rest: Decimal, on: date
) -> None:
    """After a run's part, the rest settles the rest of the booked payable (the shares add up to it); the
    rounding between that and the rest at the PO's rate is realised FX, so the invoice's AP ends at zero."""
    functional = ledger.entity_currency(session, po.entity_id)
    if inv.currency == functional:
        return
    gross = inv.net + inv.tax
    share = booked_share(booked_payable(session, po.number, inv.id), gross, before, rest, functional)
    gain = realised_on_payable(rest, share, po.fx_rate, functional).gain
    if gain:
        # Keyed like the payment with `:fx` for `:payment` (the close's revaluation finds its currency so).
        entry = post_entry(
            session,
            po,
            realised_fx_posting(gain),
            f"po:{po.number}:invoice:{inv.id}:fx",
            on,
            functional,
            f"realised FX on invoice {inv.invoice_number}",
        )
        open_items.record(session, entry, "payment", f"fx:{inv.invoice_number}", restates=inv.currency)


def pay(session: Session, req: PaymentRequest) -> int:
    """Pay an approved invoice: AP -> bank, once per invoice, for what payment runs left open of it."""
    po = po_store.head(session, req.number, lock=True)
    inv = invoice_store.locked(session, req.invoice_id)
    gross = inv.net + inv.tax
    by_runs, run_entry = _paid_by_runs(session, req.invoice_id)
    if run_entry is not None and by_runs >= gross:
        return run_entry  # payment runs paid it off first: the PO's own payment stands down
    amount = gross - by_runs  # all of it, or the rest a run's part left open
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
    if by_runs:
        _rest_rounding(session, po, inv, by_runs, amount, req.paid_on)
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
        {"amount": str(amount), "journal_entry_id": entry}
        | ({"paid_by_runs_before": str(by_runs)} if by_runs else {}),
    )
    return entry
