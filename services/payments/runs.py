"""Payment runs: the house bank setting, the due invoices a run proposes, the run as stored, and its bank files.

Paying a run (AP -> bank-in-transit with realised FX) is `services/payments/run_payments.py`."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy import text
from sqlmodel import Session, col, select

from models.contracts.payments import (
    CloseRun,
    PartPayment,
    PaymentRunInput,
    ProposedPayment,
    RunProposal,
)
from models.master import Supplier
from models.payments import PaymentRunItem, PaymentRunRow, PaymentSetting
from models.purchasing import SupplierInvoice
from ports.bank_file import BankAccount, CreditTransfer, Pain001Writer, PaymentRun
from rules.errors import RuleViolation
from rules.partial_payments import check_part
from services.core.errors import NotFound

SOURCE = "payment_run"
# Only invoices approved for payment: matched, or a match exception accepted. Exceptions, waiting and
# rejected invoices (holds and disputes) stay out until they are approved.
PAYABLE = ("matched", "accepted")


def run_workflow_id(entity_code: str, run_date: date) -> str:
    """One payment run per entity and run date."""
    return f"PaymentRun-{entity_code}-{run_date.isoformat()}"


def setting(session: Session, entity_id: int) -> PaymentSetting | None:
    """The entity's house bank and payment-run switch, if set up."""
    # populate_existing: the setting route upserts it with SQL in the same session.
    query = select(PaymentSetting).where(col(PaymentSetting.entity_id) == entity_id)
    return session.exec(query.execution_options(populate_existing=True)).first()


def uses_runs(session: Session, entity_id: int) -> bool:
    """Whether the entity pays suppliers by payment runs (else each PO pays its invoices when due)."""
    found = setting(session, entity_id)
    return bool(found and found.uses_payment_runs)


def pays_itself(session: Session, entity_id: int, invoice_id: int) -> bool:
    """Whether a PO created while its entity paid by runs pays this invoice itself now: the entity no longer
    uses runs, and no run still waiting for approval claims the invoice (that run pays it, or is rejected)."""
    if uses_runs(session, entity_id):
        return False
    claimed = session.connection().execute(
        text(
            "SELECT 1 FROM payment_run_item i JOIN payment_run r ON r.id = i.run_id"
            " WHERE i.invoice_id = :i AND i.status = 'proposed' AND r.status = 'proposed' LIMIT 1"
        ),
        {"i": invoice_id},
    )
    return claimed.first() is None


def _run_id(session: Session, run: PaymentRunInput) -> int:
    row = (
        session.connection()
        .execute(
            text(
                "INSERT INTO payment_run (entity_id, run_date, workflow_id, status, proposed_by)"
                " VALUES (:e, :d, :w, 'proposed', :p) ON CONFLICT (entity_id, run_date) DO NOTHING RETURNING id"
            ),
            {"e": run.entity_id, "d": run.run_date, "w": run.workflow_id, "p": run.proposed_by},
        )
        .first()
    )
    if row is not None:
        return int(row.id)
    found = _run_on(session, run.entity_id, run.run_date)
    assert found is not None
    return found


def proposed_payments(session: Session, run_id: int) -> list[ProposedPayment]:
    """The run's items as the workflow sees them."""
    return [
        ProposedPayment.model_validate(
            {
                "item_id": item.id,
                "invoice_id": item.invoice_id,
                "invoice_number": invoice_number,
                "po_number": item.po_number,
                "supplier_id": item.supplier_id,
                "currency": item.currency,
                "amount": item.amount,
            }
        )
        for item, invoice_number in items_of(session, run_id)
    ]


# What other runs claimed of each invoice (proposed or paid): a new run pays only the rest.
_CLAIMED = """
SELECT x.invoice_id, sum(x.amount) FROM payment_run_item x
 WHERE x.invoice_id = ANY(:ids) AND x.run_id <> :r GROUP BY x.invoice_id
"""

_DUE = """
SELECT i.id, i.invoice_number, i.supplier_id, i.currency, i.net + i.tax AS amount, po.number AS po_number, s.iban
  FROM supplier_invoice i JOIN purchase_order po ON po.id = i.po_id JOIN supplier s ON s.id = i.supplier_id
 WHERE i.entity_id = :e AND i.status = ANY(:payable) AND i.due_date <= :d
 ORDER BY i.due_date, i.id
"""


class _Due(NamedTuple):
    """An invoice approved for payment and due: its gross, its PO and whether the supplier has an IBAN."""

    id: int
    invoice_number: str
    supplier_id: int
    currency: str
    amount: Decimal
    po_number: str
    iban: str | None


def _run_on(session: Session, entity_id: int, run_date: date) -> int | None:
    """The id of the entity's run on that date, if proposed already."""
    query = select(col(PaymentRunRow.id)).where(
        col(PaymentRunRow.entity_id) == entity_id, col(PaymentRunRow.run_date) == run_date
    )
    return session.connection().execute(query).scalar()


class Ended(NamedTuple):
    """A run that ended (paid, rejected or empty), with how many invoices it held."""

    id: int
    status: str
    items: int


def ended(session: Session, entity_id: int, run_date: date) -> Ended | None:
    """The entity's run on that date if it has ended (one run per entity and date)."""
    query = (
        sa.select(col(PaymentRunRow.id), col(PaymentRunRow.status), sa.func.count(col(PaymentRunItem.id)))
        .outerjoin(PaymentRunItem, col(PaymentRunItem.run_id) == col(PaymentRunRow.id))
        .where(
            col(PaymentRunRow.entity_id) == entity_id,
            col(PaymentRunRow.run_date) == run_date,
            col(PaymentRunRow.status) != "proposed",
        )
        .group_by(col(PaymentRunRow.id))
    )
    found = session.connection().execute(query).first()
    return None if found is None else Ended._make(found)


def _claimed(session: Session, invoice_ids: list[int], run_id: int) -> dict[int, Decimal]:
    """What runs other than this one claimed of each invoice (read after the invoices are locked)."""
    rows = session.connection().execute(text(_CLAIMED), {"ids": invoice_ids, "r": run_id})
    return {int(invoice_id): Decimal(amount) for invoice_id, amount in rows}


def _due(session: Session, entity_id: int, run_date: date, *, lock: bool) -> list[_Due]:
    """The entity's invoices approved for payment and due by the run date."""
    sql = _DUE + (" FOR UPDATE OF i" if lock else "")
    rows = session.connection().execute(text(sql), {"e": entity_id, "d": run_date, "payable": list(PAYABLE)})
    return [_Due(*r) for r in rows]


def check_parts(session: Session, entity_id: int, run_date: date, parts: list[PartPayment]) -> None:
    """Refuse a part payment of an invoice the run would not pay, or of more than is open on it now."""
    due = {inv.id: inv for inv in _due(session, entity_id, run_date, lock=False)}
    claimed = _claimed(session, list(due), _run_on(session, entity_id, run_date) or 0)
    seen: set[int] = set()
    for n, part in enumerate(parts):
        inv = due.get(part.invoice_id)
        if inv is None or part.invoice_id in seen:
            why = "twice" if part.invoice_id in seen else f"not approved for payment and due by {run_date}"
            raise RuleViolation(f"amounts[{n}].invoice_id", f"invoice {part.invoice_id} is {why}")
        seen.add(part.invoice_id)
        open_now = inv.amount - claimed.get(part.invoice_id, Decimal(0))
        check_part(f"amounts[{n}].amount", part.amount, open_now, inv.currency, inv.invoice_number)


def propose(session: Session, run: PaymentRunInput) -> RunProposal:
    """Claim what is open on the entity's payable invoices due by the run date, or the part the clerk asked
    for (once: a retry returns the same proposal)."""
    run_id = _run_id(session, run)
    due = _due(session, run.entity_id, run.run_date, lock=True)
    # Read after the lock: a run proposed meanwhile has committed its claims.
    claimed = _claimed(session, [inv.id for inv in due], run_id)
    parts = {p.invoice_id: p.amount for p in run.parts}
    left_out: dict[str, str] = {}
    for inv in due:
        open_now = inv.amount - claimed.get(inv.id, Decimal(0))
        if open_now <= 0:
            continue  # claimed in full by other runs
        amount = parts.get(inv.id, open_now)
        if not inv.iban:
            left_out[inv.invoice_number] = "the supplier has no bank account (IBAN)"
            continue
        if amount > open_now:
            left_out[inv.invoice_number] = f"only {open_now} {inv.currency} is open, not {amount}"
            continue
        session.connection().execute(
            text(
                "INSERT INTO payment_run_item (run_id, invoice_id, supplier_id, po_number, currency, amount,"
                " end_to_end_id, realised_fx, status)"
                " VALUES (:r, :i, :s, :po, :c, :a, :e2e, 0, 'proposed') ON CONFLICT (run_id, invoice_id) DO NOTHING"
            ),
            {
                "r": run_id,
                "i": inv.id,
                "s": inv.supplier_id,
                "po": inv.po_number,
                "c": inv.currency,
                "a": amount,
                "e2e": f"PR{run_id}-INV{inv.id}",
            },
        )
    return RunProposal(run_id=run_id, payments=proposed_payments(session, run_id), left_out=left_out)


def close(session: Session, req: CloseRun) -> None:
    """A rejected run releases its invoices for a later run; an empty run just ends."""
    if req.status == "rejected":
        session.connection().execute(
            text("DELETE FROM payment_run_item WHERE run_id = :r AND status = 'proposed'"), {"r": req.run_id}
        )
    session.connection().execute(
        text("UPDATE payment_run SET status = :s, approved_by = :a WHERE id = :r AND status = 'proposed'"),
        {"s": req.status, "a": req.actor if req.status == "rejected" else None, "r": req.run_id},
    )


def run(session: Session, run_id: int, *, lock: bool = False) -> PaymentRunRow | None:
    """A payment run as stored; `lock` holds it for paying."""
    # populate_existing: the run's status and paid_at change by SQL within the same session.
    query = (
        select(PaymentRunRow).where(col(PaymentRunRow.id) == run_id).execution_options(populate_existing=True)
    )
    return session.exec(query.with_for_update() if lock else query).first()


def items_of(session: Session, run_id: int) -> list[tuple[PaymentRunItem, str]]:
    """A run's items as stored, each with its invoice's number."""
    query = (
        select(PaymentRunItem, col(SupplierInvoice.invoice_number))
        .join(SupplierInvoice, col(SupplierInvoice.id) == col(PaymentRunItem.invoice_id))
        .where(col(PaymentRunItem.run_id) == run_id)
        .order_by(col(PaymentRunItem.id))
        .execution_options(populate_existing=True)
    )
    return [(item, number) for item, number in session.exec(query)]


def head(session: Session, run_id: int, *, lock: bool = False) -> PaymentRunRow:
    """A payment run, or NotFound; `lock` holds it for paying."""
    found = run(session, run_id, lock=lock)
    if found is None:
        raise NotFound("run_id", f"payment run {run_id} does not exist")
    return found


class _Transfer(NamedTuple):
    """One payment of a run as its bank file names it: amount, invoice and the supplier's account."""

    end_to_end_id: str
    amount: Decimal
    currency: str
    invoice_number: str
    po_number: str
    name: str
    account_holder: str | None
    iban: str | None
    bic: str | None


_TRANSFERS = (
    sa.select(
        col(PaymentRunItem.end_to_end_id),
        col(PaymentRunItem.amount),
        col(PaymentRunItem.currency),
        col(SupplierInvoice.invoice_number),
        col(PaymentRunItem.po_number),
        col(Supplier.name),
        col(Supplier.account_holder),
        col(Supplier.iban),
        col(Supplier.bic),
    )
    .join(SupplierInvoice, col(SupplierInvoice.id) == col(PaymentRunItem.invoice_id))
    .join(Supplier, col(Supplier.id) == col(PaymentRunItem.supplier_id))
    .order_by(col(PaymentRunItem.currency), col(PaymentRunItem.id))
)


def bank_files(session: Session, run_id: int, created_at: datetime | None = None) -> dict[str, bytes]:
    """The run's pain.001 credit-transfer files, one per currency (message id from the run and currency)."""
    run = head(session, run_id)
    house = setting(session, run.entity_id)
    if house is None:
        raise RuleViolation("entity_id", "the entity has no house bank (payment setting)")
    rows = [
        _Transfer(*r)
        for r in session.connection().execute(_TRANSFERS.where(col(PaymentRunItem.run_id) == run_id))
    ]
    debtor = BankAccount(house.account_name, house.iban, house.bic)
    stamp = run.paid_at or created_at or datetime.now(UTC)
    files: dict[str, bytes] = {}
    for currency in sorted({r.currency for r in rows}):
        transfers = tuple(
            CreditTransfer(
                end_to_end_id=r.end_to_end_id,
                amount=r.amount.quantize(Decimal("0.01")),
                creditor=BankAccount((r.account_holder or r.name)[:70], str(r.iban), r.bic),
                remittance=f"Invoice {r.invoice_number} / PO {r.po_number}"[:140],
            )
            for r in rows
            if r.currency == currency
        )
        files[currency] = Pain001Writer().payment_file(
            PaymentRun(
                message_id=f"PR{run_id}-{currency}",
                created_at=stamp,
                initiating_party=debtor.name,
                debtor=debtor,
                execution_date=run.run_date,
                currency=currency,
                payments=transfers,
            )
        )
    return files
