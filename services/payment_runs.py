"""Payment runs: propose the due invoices, pay them AP -> bank-in-transit (with realised FX), bank files."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.payments import CloseRun, PaidRun, PaymentRunInput, PayRun, ProposedPayment, RunProposal
from ports.bank_file import BankAccount, CreditTransfer, Pain001Writer, PaymentRun
from rules.accounts import AccountRole
from rules.bank_matching import paid_in_transit
from rules.errors import RuleViolation
from rules.posting_rules import PostingDraft
from rules.realised_fx import realised_fx_posting, realised_on_payable
from services import fx, ledger, open_items, po_store
from services.errors import Conflict, NotFound

SOURCE = "payment_run"
# Only invoices approved for payment: matched, or a match exception accepted. Exceptions, waiting and
# rejected invoices (holds and disputes) stay out until they are approved.
PAYABLE = ("matched", "accepted")


def run_workflow_id(entity_code: str, run_date: date) -> str:
    """One payment run per entity and run date."""
    return f"PaymentRun-{entity_code}-{run_date.isoformat()}"


def setting(session: Session, entity_id: int) -> dict[str, Any] | None:
    """The entity's house bank and payment-run switch, if set up."""
    row = (
        session.connection()
        .execute(text("SELECT * FROM payment_setting WHERE entity_id = :e"), {"e": entity_id})
        .mappings()
        .first()
    )
    return dict(row) if row else None


def uses_runs(session: Session, entity_id: int) -> bool:
    """Whether the entity pays suppliers by payment runs (else each PO pays its invoices when due)."""
    found = setting(session, entity_id)
    return bool(found and found["uses_payment_runs"])


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
        return int(row[0])
    found = (
        session.connection()
        .execute(
            text("SELECT id FROM payment_run WHERE entity_id = :e AND run_date = :d"),
            {"e": run.entity_id, "d": run.run_date},
        )
        .first()
    )
    assert found is not None
    return int(found[0])


_ITEMS = """
SELECT x.id AS item_id, x.invoice_id, i.invoice_number, x.po_number, x.supplier_id, x.currency, x.amount
  FROM payment_run_item x JOIN supplier_invoice i ON i.id = x.invoice_id
 WHERE x.run_id = :r ORDER BY x.id
"""


def _items(session: Session, run_id: int) -> list[ProposedPayment]:
    rows = session.connection().execute(text(_ITEMS), {"r": run_id}).mappings().all()
    return [ProposedPayment.model_validate(dict(r)) for r in rows]


def propose(session: Session, run: PaymentRunInput) -> RunProposal:
    """Claim the entity's payable invoices due by the run date (once: a retry returns the same proposal)."""
    run_id = _run_id(session, run)
    due = (
        session.connection()
        .execute(
            text(
                """
            SELECT i.id, i.invoice_number, i.supplier_id, i.currency, i.net + i.tax AS amount, po.number,
                   s.iban, s.bic
              FROM supplier_invoice i JOIN purchase_order po ON po.id = i.po_id JOIN supplier s ON s.id = i.supplier_id
             WHERE i.entity_id = :e AND i.status = ANY(:payable) AND i.due_date <= :d
               AND NOT EXISTS (SELECT 1 FROM payment_run_item x WHERE x.invoice_id = i.id)
             ORDER BY i.due_date, i.id FOR UPDATE OF i
            """
            ),
            {"e": run.entity_id, "d": run.run_date, "payable": list(PAYABLE)},
        )
        .mappings()
        .all()
    )
    left_out: dict[str, str] = {}
    for inv in due:
        if not inv["iban"]:
            left_out[str(inv["invoice_number"])] = "the supplier has no bank account (IBAN)"
            continue
        session.connection().execute(
            text(
                "INSERT INTO payment_run_item (run_id, invoice_id, supplier_id, po_number, currency, amount,"
                " end_to_end_id, realised_fx, status)"
                " VALUES (:r, :i, :s, :po, :c, :a, :e2e, 0, 'proposed') ON CONFLICT (invoice_id) DO NOTHING"
            ),
            {
                "r": run_id,
                "i": inv["id"],
                "s": inv["supplier_id"],
                "po": inv["number"],
                "c": inv["currency"],
                "a": inv["amount"],
                "e2e": f"PR{run_id}-INV{inv['id']}",
            },
        )
    return RunProposal(run_id=run_id, payments=_items(session, run_id), left_out=left_out)


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


def _head(session: Session, run_id: int) -> dict[str, Any]:
    row = (
        session.connection()
        .execute(text("SELECT * FROM payment_run WHERE id = :r FOR UPDATE"), {"r": run_id})
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("run_id", f"payment run {run_id} does not exist")
    return dict(row)


def _booked_payable(session: Session, po_number: str, invoice_id: int) -> Decimal:
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


def _post(
    session: Session,
    run: dict[str, Any],
    item: ProposedPayment,
    draft: PostingDraft,
    key: str,
    currency: str,
    rate: Decimal | None,
    memo: str,
) -> int:
    lines = [
        ledger.LineIn(d.role, d.amount, d.memo, partner_type="supplier", partner_id=str(item.supplier_id))
        if d.role == AccountRole.AP
        else ledger.LineIn(d.role, d.amount, d.memo)
        for d in draft.lines
    ]
    return ledger.post(
        session,
        ledger.PostingRequest(
            entity_id=int(run["entity_id"]),
            idempotency_key=key,
            posting_date=run["run_date"],
            source_type=SOURCE,
            source_id=str(run["workflow_id"]),
            currency=currency,
            lines=lines,
            memo=memo,
            fx_rate=rate,
        ),
    ).entry_id


def _pay_item(
    session: Session, run: dict[str, Any], item: ProposedPayment, paid_on: date, actor: str
) -> bool:
    """Post one payment (and its realised FX) once; False when the invoice was paid another way meanwhile."""
    status = (
        session.connection()
        .execute(text("SELECT status FROM supplier_invoice WHERE id = :i FOR UPDATE"), {"i": item.invoice_id})
        .scalar()
    )
    done = (
        session.connection()
        .execute(text("SELECT status FROM payment_run_item WHERE id = :i"), {"i": item.item_id})
        .scalar()
    )
    if status == "paid" and done == "proposed":
        session.connection().execute(text("DELETE FROM payment_run_item WHERE id = :i"), {"i": item.item_id})
        return False
    functional = ledger.entity_currency(session, int(run["entity_id"]))
    rate = fx.rate(session, item.currency, functional, paid_on)
    base = f"payrun:{run['id']}:invoice:{item.invoice_id}"
    entry = _post(
        session,
        run,
        item,
        paid_in_transit(item.amount),
        f"{base}:payment",
        item.currency,
        rate,
        f"payment run {run['workflow_id']}: invoice {item.invoice_number}",
    )
    # The payment settles the invoice's open item on AP (the close compares open items with AP).
    ref = f"payment:{item.invoice_number}"
    open_items.record(session, entry, "payment", ref, against=item.invoice_number)
    gain = Decimal(0)
    if item.currency != functional:
        booked = _booked_payable(session, item.po_number, item.invoice_id)
        gain = realised_on_payable(item.amount, booked, rate, functional).gain
        if gain:
            fx_entry = _post(
                session,
                run,
                item,
                realised_fx_posting(gain),
                f"{base}:fx",
                functional,
                None,
                f"realised FX on invoice {item.invoice_number}",
            )
            open_items.record(
                session, fx_entry, "payment", f"fx:{item.invoice_number}", against=item.invoice_number
            )
    session.connection().execute(
        text(
            "UPDATE payment_run_item SET status = 'paid', fx_rate = :r, realised_fx = :g, payment_entry_id = :e"
            " WHERE id = :i AND status = 'proposed'"
        ),
        {"r": rate, "g": gain, "e": entry, "i": item.item_id},
    )
    session.connection().execute(
        text("UPDATE supplier_invoice SET status = 'paid', paid_on = :d WHERE id = :i"),
        {"d": paid_on, "i": item.invoice_id},
    )
    po = po_store.head(session, item.po_number)
    po_store.audit(
        session,
        po,
        f"po:{po.number}:invoice:{item.invoice_id}:paid",
        "invoice.paid",
        actor,
        {"amount": str(item.amount), "journal_entry_id": entry, "payment_run": run["workflow_id"]},
    )
    return True


def pay(session: Session, req: PayRun) -> PaidRun:
    """Post every proposed payment once and stamp the run paid; the bank files must be writable first."""
    run = _head(session, req.run_id)
    if run["status"] not in ("proposed", "paid"):
        raise Conflict("run_id", f"payment run {req.run_id} is {run['status']}")
    items = _items(session, req.run_id)
    if run["status"] == "proposed":
        bank_files(session, req.run_id, datetime.now(UTC))  # refuses before anything posts
    paid = [item for item in items if _pay_item(session, run, item, req.paid_on, req.approved_by)]
    session.connection().execute(
        text(
            "UPDATE payment_run SET status = 'paid', approved_by = :a, paid_at = COALESCE(paid_at, now())"
            " WHERE id = :r"
        ),
        {"a": req.approved_by, "r": req.run_id},
    )
    return PaidRun(run_id=req.run_id, paid=paid)


def bank_files(session: Session, run_id: int, created_at: datetime | None = None) -> dict[str, bytes]:
    """The run's pain.001 credit-transfer files, one per currency (message id from the run and currency)."""
    run = (
        session.connection()
        .execute(text("SELECT * FROM payment_run WHERE id = :r"), {"r": run_id})
        .mappings()
        .first()
    )
    if run is None:
        raise NotFound("run_id", f"payment run {run_id} does not exist")
    house = setting(session, int(run["entity_id"]))
    if house is None:
        raise RuleViolation("entity_id", "the entity has no house bank (payment setting)")
    rows = (
        session.connection()
        .execute(
            text(
                "SELECT x.end_to_end_id, x.amount, x.currency, i.invoice_number, x.po_number, s.name,"
                " s.account_holder, s.iban, s.bic FROM payment_run_item x"
                " JOIN supplier_invoice i ON i.id = x.invoice_id JOIN supplier s ON s.id = x.supplier_id"
                " WHERE x.run_id = :r ORDER BY x.currency, x.id"
            ),
            {"r": run_id},
        )
        .mappings()
        .all()
    )
    debtor = BankAccount(str(house["account_name"]), str(house["iban"]), str(house["bic"]))
    stamp = run["paid_at"] or created_at or datetime.now(UTC)
    files: dict[str, bytes] = {}
    for currency in sorted({str(r["currency"]) for r in rows}):
        transfers = tuple(
            CreditTransfer(
                end_to_end_id=str(r["end_to_end_id"]),
                amount=Decimal(r["amount"]).quantize(Decimal("0.01")),
                creditor=BankAccount(str(r["account_holder"] or r["name"])[:70], str(r["iban"]), r["bic"]),
                remittance=f"Invoice {r['invoice_number']} / PO {r['po_number']}"[:140],
            )
            for r in rows
            if r["currency"] == currency
        )
        files[currency] = Pain001Writer().payment_file(
            PaymentRun(
                message_id=f"PR{run_id}-{currency}",
                created_at=stamp,
                initiating_party=debtor.name,
                debtor=debtor,
                execution_date=run["run_date"],
                currency=currency,
                payments=transfers,
            )
        )
    return files
