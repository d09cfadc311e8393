"""Paying a payment run: each proposed payment posts AP -> bank-in-transit once, with its realised FX, and
settles the invoice's open item (in full, or the part the run pays)."""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session, col, select

from models.contracts.payments import PaidRun, PayRun, ProposedPayment
from models.payments import PaymentRunRow
from models.purchasing import SupplierInvoice
from rules.accounts import AccountRole
from rules.bank_matching import paid_in_transit
from rules.posting_rules import PostingDraft
from services.core import fx, ledger, open_items
from services.core.errors import Conflict
from services.payments import posting, runs
from services.purchasing import store as po_store
from services.purchasing.invoice_posting import PaymentOfPayable, realise_fx


def _entry(
    run: PaymentRunRow, item: ProposedPayment, key: str, currency: str, rate: Decimal | None, memo: str
) -> posting.Entry:
    """Posted on the run date; the AP lines carry the supplier (its open items)."""
    return posting.Entry(
        entity_id=run.entity_id,
        key=key,
        on=run.run_date,
        source_type=runs.SOURCE,
        source_id=run.workflow_id,
        currency=currency,
        memo=memo,
        fx_rate=rate,
        partner=("supplier", str(item.supplier_id)),
        tagged=frozenset({AccountRole.AP}),
    )


def _post(
    session: Session,
    run: PaymentRunRow,
    item: ProposedPayment,
    draft: PostingDraft,
    key: str,
    currency: str,
    rate: Decimal | None,
    memo: str,
) -> int:
    """Post a draft of the run once (by its key)."""
    return posting.post(session, _entry(run, item, key, currency, rate, memo), draft)


def _paid_before(session: Session, item: ProposedPayment) -> tuple[Decimal, Decimal] | None:
    """The invoice's gross and what other runs paid of it, or None when it was paid another way meanwhile
    (or no longer has room for this payment) and the proposed item is dropped."""
    invoice = (
        select(col(SupplierInvoice.status), col(SupplierInvoice.net) + col(SupplierInvoice.tax))
        .where(col(SupplierInvoice.id) == item.invoice_id)
        .with_for_update()
    )
    status, gross = session.connection().execute(invoice).one()
    done = (
        session.connection()
        .execute(text("SELECT status FROM payment_run_item WHERE id = :i"), {"i": item.item_id})
        .scalar()
    )
    before = Decimal(
        session.connection()
        .execute(
            text(
                "SELECT COALESCE(sum(amount), 0) FROM payment_run_item"
                " WHERE invoice_id = :inv AND id <> :i AND status <> 'proposed'"
            ),
            {"inv": item.invoice_id, "i": item.item_id},
        )
        .scalar_one()
    )
    if done == "proposed" and (status == "paid" or before + item.amount > gross):
        session.connection().execute(text("DELETE FROM payment_run_item WHERE id = :i"), {"i": item.item_id})
        return None
    return gross, before


def _realised_fx(
    session: Session, run: PaymentRunRow, item: ProposedPayment, rate: Decimal, owed: tuple[Decimal, Decimal]
) -> Decimal:
    """Post the realised FX of a foreign-currency payment on the run date (the PO's own payment posts it the
    same way); returns the gain (loss < 0)."""
    gross, before = owed
    paid = PaymentOfPayable(
        item.po_number, item.invoice_id, item.invoice_number, item.currency, gross, before, item.amount, rate
    )
    where = _entry(
        run,
        item,
        f"payrun:{run.id}:invoice:{item.invoice_id}:fx",
        item.currency,
        None,
        f"realised FX on invoice {item.invoice_number}",
    )
    return realise_fx(session, paid, where)


def _pay_item(
    session: Session, run: PaymentRunRow, item: ProposedPayment, paid_on: date, actor: str
) -> str | None:
    """Post one payment (and its realised FX) once: "paid" when it pays the invoice off, "part_paid" when some
    stays open, None when the invoice was paid another way meanwhile."""
    owed = _paid_before(session, item)
    if owed is None:
        return None
    rate = fx.rate(session, item.currency, ledger.entity_currency(session, run.entity_id), paid_on)
    entry = _post(
        session,
        run,
        item,
        paid_in_transit(item.amount),
        f"payrun:{run.id}:invoice:{item.invoice_id}:payment",
        item.currency,
        rate,
        f"payment run {run.workflow_id}: invoice {item.invoice_number}",
    )
    # The payment settles the invoice's open item on AP (the close compares open items with AP).
    open_items.record(
        session, entry, "payment", f"payment:{item.invoice_number}", against=item.invoice_number
    )
    gain = _realised_fx(session, run, item, rate, owed)
    session.connection().execute(
        text(
            "UPDATE payment_run_item SET status = 'paid', fx_rate = :r, realised_fx = :g, payment_entry_id = :e"
            " WHERE id = :i AND status = 'proposed'"
        ),
        {"r": rate, "g": gain, "e": entry, "i": item.item_id},
    )
    gross, before = owed
    settled = before + item.amount == gross
    if settled:
        session.connection().execute(
            text("UPDATE supplier_invoice SET status = 'paid', paid_on = :d WHERE id = :i"),
            {"d": paid_on, "i": item.invoice_id},
        )
    po = po_store.head(session, item.po_number)
    po_store.audit(
        session,
        po,
        f"po:{po.number}:invoice:{item.invoice_id}:paid"
        if settled
        else f"po:{po.number}:invoice:{item.invoice_id}:run:{run.id}:part_paid",
        "invoice.paid" if settled else "invoice.part_paid",
        actor,
        {"amount": str(item.amount), "journal_entry_id": entry, "payment_run": run.workflow_id},
    )
    return "paid" if settled else "part_paid"


def pay(session: Session, req: PayRun) -> PaidRun:
    """Post every proposed payment once and stamp the run paid; the bank files must be writable first."""
    run = runs.head(session, req.run_id, lock=True)
    if run.status not in ("proposed", "paid"):
        raise Conflict("run_id", f"payment run {req.run_id} is {run.status}")
    items = runs.proposed_payments(session, req.run_id)
    if run.status == "proposed":
        runs.bank_files(session, req.run_id, datetime.now(UTC))  # refuses before anything posts
    outcome = {item.item_id: _pay_item(session, run, item, req.paid_on, req.approved_by) for item in items}
    session.connection().execute(
        text(
            "UPDATE payment_run SET status = 'paid', approved_by = :a, paid_at = COALESCE(paid_at, now())"
            " WHERE id = :r"
        ),
        {"a": req.approved_by, "r": req.run_id},
    )
    return PaidRun(
        run_id=req.run_id,
        paid=[item for item in items if outcome[item.item_id] == "paid"],
        part_paid=[item for item in items if outcome[item.item_id] == "part_paid"],
    )
