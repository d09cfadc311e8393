"""Supplier invoices in the ledger: the liability of an approved invoice (GRNI, variance, tax -> AP) and its
payment (AP -> bank).

The rate of a foreign-currency supplier invoice is the PO's. Every posting of the invoice in the PO's currency
(receipt, invoice) uses `po.fx_rate`, the rate of the PO's order date, whatever day the invoice is dated: the PO
fixes the rate (SAP's "exchange rate fixed" on a PO), so no exchange difference arises between order, receipt and
invoice. The difference to the market is realised at payment, whoever pays: the money leaves the bank at the
payment date's rate (`fx.rate`, the latest rate keyed on or before that day), and what that costs more or less
than the payable's booked value is realised FX (`realise_fx`, the one posting of it, shared with the payment
runs of services/payments/run_payments.py). Tested, hand-computed, by tests/payments/test_group_money_month.py (a run:
USD ordered at 0.80, invoiced on a 0.78 day, booked at 0.80 and paid at 0.78 for a realised gain of 25.00) and
tests/payments/test_po_pays_itself_in_dollars.py (the PO paying its own invoice).

A run may pay an invoice in part (migration 0023). The PO paying itself on the due date then pays what is left
open, not the whole invoice, and not nothing: the run's part never stands for the whole."""

from dataclasses import dataclass, replace
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
from services.core import fx, ledger, open_items
from services.core.errors import NotFound
from services.payments import posting
from services.purchasing import invoice_store
from services.purchasing import store as po_store
from services.purchasing.invoice_store import BilledLine, InvoiceHead

SOURCE = "purchase_order"


def post_entry(
    session: Session,
    po: po_store.PoHead,
    draft: PostingDraft,
    key: str,
    on: date,
    currency: str,
    memo: str,
    rate: Decimal | None = None,
) -> int:
    """Post a drafted entry once per key, supplier-tagged; PO-currency entries use the PO's rate unless `rate`
    (a payment's day) is given."""
    return posting.post(session, _po_entry(po, key, on, currency, memo, rate), draft)


def _po_entry(
    po: po_store.PoHead, key: str, on: date, currency: str, memo: str, rate: Decimal | None = None
) -> posting.Entry:
    """Where the PO's entries post: every line carries the supplier."""
    return posting.Entry(
        entity_id=po.entity_id,
        key=key,
        on=on,
        source_type=SOURCE,
        source_id=po.number,
        currency=currency,
        memo=memo,
        fx_rate=rate or (po.fx_rate if currency == po.currency else None),
        partner=("supplier", str(po.supplier_id)),
        tagged=posting.EVERY_ROLE,
    )


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


@dataclass(frozen=True, slots=True)
class PaymentOfPayable:
    """One payment of a supplier invoice: `amount` of its `gross` (invoice currency) after `before` was paid of
    it, at the payment date's `rate`."""

    po_number: str
    invoice_id: int
    invoice_number: str
    currency: str
    gross: Decimal
    before: Decimal
    amount: Decimal
    rate: Decimal


def realise_fx(session: Session, paid: PaymentOfPayable, where: posting.Entry) -> Decimal:
    """Post the realised FX of a foreign-currency payment once (`where`: its key, date, source and partner; in
    the functional currency): its proportional share of the booked payable against what it cost at the payment
    date's rate, recorded as an exchange difference of the invoice; returns the gain (loss < 0). Payment runs and
    the PO paying itself both post it here."""
    functional = ledger.entity_currency(session, where.entity_id)
    if paid.currency == functional:
        return Decimal(0)
    booked = booked_share(
        booked_payable(session, paid.po_number, paid.invoice_id),
        paid.gross,
        paid.before,
        paid.amount,
        functional,
    )
    gain = realised_on_payable(paid.amount, booked, paid.rate, functional).gain
    if gain:
        entry = posting.post(
            session, replace(where, currency=functional, fx_rate=None), realised_fx_posting(gain)
        )
        open_items.record(session, entry, "payment", f"fx:{paid.invoice_number}", restates=paid.currency)
    return gain


class NoPaymentRate(LookupError):
    """No exchange rate is keyed on or before the payment date: a data gap a person fixes (the worker fails the
    PO's step as "DataError", so the PO waits on an admin task and pays on its "retry"), not a refusal."""


def payment_rate(session: Session, entity_id: int, currency: str, on: date) -> Decimal:
    """The payment date's rate, looked up as a payment run does (the latest keyed on or before the day)."""
    try:
        return fx.rate(session, currency, ledger.entity_currency(session, entity_id), on)
    except NotFound as exc:
        raise NoPaymentRate(exc.reason) from exc


def _already_paid(session: Session, key: str) -> int | None:
    """The PO's own payment of the invoice, when an earlier attempt posted it (with its FX, in one transaction)."""
    found = (
        session.connection()
        .execute(text("SELECT id FROM journal_entry WHERE idempotency_key = :k"), {"k": key})
        .scalar()
    )
    return None if found is None else int(found)


def pay(session: Session, req: PaymentRequest) -> int:
    """Pay an approved invoice once: AP -> bank at the payment date's rate for what payment runs left open of it,
    and the realised FX against what that part of the payable was booked at."""
    po = po_store.head(session, req.number, lock=True)
    inv = invoice_store.locked(session, req.invoice_id)
    key = f"po:{po.number}:invoice:{inv.id}:payment"
    done = _already_paid(session, key)
    if done is not None:
        return done  # a retry: a rate keyed since must not realise a second difference
    gross = inv.net + inv.tax
    by_runs, run_entry = _paid_by_runs(session, req.invoice_id)
    if run_entry is not None and by_runs >= gross:
        return run_entry  # payment runs paid it off first: the PO's own payment stands down
    amount = gross - by_runs  # all of it, or the rest a run's part left open
    rate = payment_rate(session, po.entity_id, inv.currency, req.paid_on)
    entry = post_entry(
        session,
        po,
        supplier_payment(amount, inv.currency),
        key,
        req.paid_on,
        inv.currency,
        f"payment of supplier invoice {inv.invoice_number}",
        rate,
    )
    open_items.record(session, entry, "payment", f"payment:{inv.invoice_number}", against=inv.invoice_number)
    # Keyed like the payment with `:fx` for `:payment` (the close's revaluation finds its currency so).
    gain = realise_fx(
        session,
        PaymentOfPayable(po.number, inv.id, inv.invoice_number, inv.currency, gross, by_runs, amount, rate),
        _po_entry(
            po,
            f"po:{po.number}:invoice:{inv.id}:fx",
            req.paid_on,
            inv.currency,
            f"realised FX on invoice {inv.invoice_number}",
        ),
    )
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
        {"amount": str(amount), "journal_entry_id": entry, "fx_rate": str(rate), "realised_fx": str(gain)}
        | ({"paid_by_runs_before": str(by_runs)} if by_runs else {}),
    )
    return entry
