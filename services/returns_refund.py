"""The refund of a return: credit note (Dr Sales returns + Sales tax, Cr receivable or store credit) and the
money back through the payment port, all once per RMA (keys `return:{rma}:credit_note` / `:refund`)."""

from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.returns import RefundRequest, RefundResult
from models.contracts.sales import PaymentCall
from models.contracts.tasks import TaskSpec
from rules.accounts import AccountRole
from rules.errors import RuleViolation
from rules.posting_rules import customer_return
from rules.returns import refund_share
from services import ledger, open_items, tasks
from services.events import emit
from services.ledger import LineIn
from services.payments import PaymentPort
from services.returns_store import header, lines

Method = Literal["payment", "receivable", "store_credit"]


def _existing(session: Session, return_id: int) -> RefundResult | None:
    row = (
        session.connection()
        .execute(
            text("SELECT number, net, tax, total, method FROM credit_note WHERE return_id = :r"),
            {"r": return_id},
        )
        .first()
    )
    if row is None:
        return None
    return RefundResult(
        credit_note_number=str(row[0]),
        net=Decimal(row[1]),
        tax=Decimal(row[2]),
        total=Decimal(row[3]),
        method=row[4],
    )


def refund_method(refund: str, payment_method: str) -> Method:
    """Store credit when asked; marketplace orders are credited on the receivable; others go back to the payment."""
    if refund == "store_credit":
        return "store_credit"
    return "receivable" if payment_method == "marketplace" else "payment"


def refund(session: Session, req: RefundRequest, port: PaymentPort) -> RefundResult:
    """Issue the credit note and give the money back (once: a retried activity finds the credit note)."""
    rma = header(session, req.rma_number, lock=True)
    done = _existing(session, int(rma["id"]))
    if done is not None:
        return done
    currency = str(rma["currency"])
    by_line = lines(session, int(rma["id"]))
    net = tax = Decimal(0)
    for line_no, qty in sorted(req.qty.items()):
        line = by_line[line_no]
        if qty == 0:
            continue
        share = refund_share(
            Decimal(line["net"]), Decimal(line["tax"]), Decimal(line["qty"]), Decimal(0), qty, currency
        )
        net, tax = net + share.net, tax + share.tax
    if net + tax <= 0:
        raise RuleViolation("qty", f"return {req.rma_number}: nothing to refund")
    method = refund_method(str(rma["refund_method"]), str(rma["payment_method"]))
    role = AccountRole.STORE_CREDIT if method == "store_credit" else AccountRole.AR
    partner = (
        ("customer", str(rma["customer_code"]))
        if method == "store_credit"
        else ("order", str(rma["order_number"]))
    )
    draft = customer_return(net, tax, Decimal(0), Decimal(0), currency, refund_role=role)
    number = f"CN-{req.rma_number}"
    entry = ledger.post(
        session,
        ledger.PostingRequest(
            entity_id=int(rma["entity_id"]),
            idempotency_key=f"return:{req.rma_number}:credit_note",
            posting_date=req.posting_date,
            source_type="return",
            source_id=req.rma_number,
            currency=currency,
            memo=f"credit note {number} for order {rma['order_number']}",
            lines=[
                LineIn(d.role, d.amount, d.memo, *(partner if d.role == role else (None, None)))
                for d in draft.lines
            ],
        ),
    )
    open_items.record(session, entry.entry_id, "credit_note", number)
    payment_id: int | None = None
    if method == "payment":
        # Dr receivable, Cr payment clearing: the credit note's receivable is paid out to the card/account.
        paid = port.refund(
            session,
            PaymentCall(
                order_number=str(rma["order_number"]),
                key=f"return:{req.rma_number}:refund",
                method=str(rma["payment_method"]),
                amount=net + tax,
                currency=currency,
                posting_date=req.posting_date,
                reference=number,
            ),
        )
        payment_id = paid.payment_id
        if paid.status != "approved":
            _refund_failed(session, rma, number, net + tax, paid.reason or paid.status)
    session.connection().execute(
        text(
            """
            INSERT INTO credit_note (number, return_id, entity_id, customer_id, currency, net, tax, total, method,
                                     journal_entry_id, payment_id, issued_on)
            VALUES (:n, :r, :e, :cu, :cur, :net, :tax, :total, :m, :je, :p, :d)
            """
        ),
        {
            "n": number,
            "r": rma["id"],
            "e": rma["entity_id"],
            "cu": rma["customer_id"],
            "cur": currency,
            "net": net,
            "tax": tax,
            "total": net + tax,
            "m": method,
            "je": entry.entry_id,
            "p": payment_id,
            "d": req.posting_date,
        },
    )
    session.connection().execute(
        text(
            "UPDATE return_authorisation SET refunded = :t, refunded_early = :early, credit_note_number = :n"
            " WHERE id = :r"
        ),
        {"t": net + tax, "early": req.early, "n": number, "r": rma["id"]},
    )
    emit(
        session,
        event_type="refund.issued",
        key=f"return:{req.rma_number}:refund",
        entity_id=int(rma["entity_id"]),
        document_type="sales_order",
        document_id=str(rma["order_number"]),
        data={
            "order_number": str(rma["order_number"]),
            "refund_key": req.rma_number,
            "amount": str(net + tax),
            "currency": currency,
        },
    )
    return RefundResult(credit_note_number=number, net=net, tax=tax, total=net + tax, method=method)


def _refund_failed(session: Session, rma: dict[str, Any], number: str, amount: Decimal, reason: str) -> int:
    """The provider did not give the money back: the credit stays on the order's receivable, and sales ops
    get a task that says why (pay it out another way, e.g. by bank transfer or store credit)."""
    return tasks.open_task(
        session,
        TaskSpec(
            task_key=f"return:{rma['rma_number']}:refund_failed",
            kind="refund_failed",
            workflow_id=str(rma["workflow_id"]),
            workflow_type="Return",
            subject_type="return",
            subject_id=str(rma["rma_number"]),
            entity_id=int(rma["entity_id"]),
            title=f"Refund of {amount} {rma['currency']} for {number} failed: {reason}",
            candidate_role="sales_ops",
            # Nothing to decide in the flow: the money is owed on the order's receivable until paid out.
            options=[],
            details={
                "order_number": str(rma["order_number"]),
                "credit_note": number,
                "amount": str(amount),
                "currency": str(rma["currency"]),
                "reason": reason,
                "next_step": "pay the customer another way (bank transfer or store credit)",
            },
        ),
    )
