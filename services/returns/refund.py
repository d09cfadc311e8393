"""The refund of a return: credit note (Dr Sales returns + Sales tax, Cr receivable or store credit) and the
money back through the payment port, all once per RMA (keys `return:{rma}:credit_note` / `:refund`)."""

from decimal import Decimal
from typing import Literal, cast

from sqlalchemy import select, text
from sqlmodel import Session, col

from models.contracts.returns import RefundRequest, RefundResult
from models.contracts.sales import PaymentCall
from models.returns import CreditNote
from rules.accounts import AccountRole
from rules.errors import RuleViolation
from rules.posting_rules import customer_return
from rules.returns import refund_share
from services.core import ledger, open_items, tasks
from services.core.events import emit
from services.core.ledger import LineIn
from services.payments import failed_refunds, receipt_fx
from services.returns.store import RmaHead, header, lines
from services.sales.payments import PaymentPort

Method = Literal["payment", "receivable", "store_credit"]


def _existing(session: Session, return_id: int) -> RefundResult | None:
    """The refund already made for the return (a retried activity), or None."""
    cn = CreditNote
    row = (
        session.connection()
        .execute(
            select(col(cn.number), col(cn.net), col(cn.tax), col(cn.total), col(cn.method)).where(
                col(cn.return_id) == return_id
            )
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
        method=cast(Method, row[4]),  # written by this module from a Method
    )


def refund_method(refund: str, payment_method: str) -> Method:
    """Store credit when asked; marketplace orders are credited on the receivable; others go back to the payment."""
    if refund == "store_credit":
        return "store_credit"
    return "receivable" if payment_method == "marketplace" else "payment"


def refund(session: Session, req: RefundRequest, port: PaymentPort) -> RefundResult:
    """Issue the credit note and give the money back (once: a retried activity finds the credit note)."""
    rma = header(session, req.rma_number, lock=True)
    done = _existing(session, rma.id)
    if done is not None:
        return done.model_copy(update={"failed_task_id": failed_refunds.first_task(session, req.rma_number)})
    net, tax = _refund_amounts(session, req, rma)
    if net + tax <= 0:
        raise RuleViolation("qty", f"return {req.rma_number}: nothing to refund")
    method = refund_method(rma.refund_method, rma.payment_method)
    number = f"CN-{req.rma_number}"
    entry_id = _post_credit_note(session, req, rma, method, number, net, tax)
    open_items.record(session, entry_id, "credit_note", number)
    if method == "receivable":
        # A foreign-currency credit note settles the receivable at its own day's rate: the difference to the
        # rate the receivable was booked at is realised now (a fully credited order sees no settlement).
        receipt_fx.realise(
            session,
            rma.entity_id,
            entry_id,
            AccountRole.AR,
            rma.order_number,
            rma.currency,
            req.posting_date,
            ("return", req.rma_number),
        )
    payment_id = _pay_back(session, req, rma, port, number, net + tax) if method == "payment" else None
    _record_credit_note(session, req, rma, method, number, net, tax, entry_id, payment_id)
    emit(
        session,
        event_type="refund.issued",
        key=f"return:{req.rma_number}:refund",
        entity_id=rma.entity_id,
        document_type="sales_order",
        document_id=rma.order_number,
        data={
            "order_number": rma.order_number,
            "refund_key": req.rma_number,
            "amount": str(net + tax),
            "currency": rma.currency,
        },
    )
    return RefundResult(
        credit_note_number=number,
        net=net,
        tax=tax,
        total=net + tax,
        method=method,
        failed_task_id=failed_refunds.first_task(session, req.rma_number),
    )


def _refund_amounts(session: Session, req: RefundRequest, rma: RmaHead) -> tuple[Decimal, Decimal]:
    """Net and tax given back: each line's share of what the customer paid for the returned quantity."""
    by_line = lines(session, rma.id)
    net = tax = Decimal(0)
    for line_no, qty in sorted(req.qty.items()):
        line = by_line[line_no]
        if qty == 0:
            continue
        share = refund_share(line.net, line.tax, line.qty, Decimal(0), qty, rma.currency)
        net, tax = net + share.net, tax + share.tax
    return net, tax


def _post_credit_note(
    session: Session,
    req: RefundRequest,
    rma: RmaHead,
    method: Method,
    number: str,
    net: Decimal,
    tax: Decimal,
) -> int:
    """Dr Sales returns + Sales tax, Cr the order's receivable (or the customer's store credit); the entry id."""
    role = AccountRole.STORE_CREDIT if method == "store_credit" else AccountRole.AR
    partner = ("customer", rma.customer_code) if method == "store_credit" else ("order", rma.order_number)
    draft = customer_return(net, tax, Decimal(0), Decimal(0), rma.currency, refund_role=role)
    entry = ledger.post(
        session,
        ledger.PostingRequest(
            entity_id=rma.entity_id,
            idempotency_key=f"return:{req.rma_number}:credit_note",
            posting_date=req.posting_date,
            source_type="return",
            source_id=req.rma_number,
            currency=rma.currency,
            memo=f"credit note {number} for order {rma.order_number}",
            lines=[
                LineIn(d.role, d.amount, d.memo, *(partner if d.role == role else (None, None)))
                for d in draft.lines
            ],
        ),
    )
    return entry.entry_id


def _pay_back(
    session: Session, req: RefundRequest, rma: RmaHead, port: PaymentPort, number: str, amount: Decimal
) -> int | None:
    """Refund through the payment port; a refused refund opens a task. Returns the payment id."""
    # Dr receivable, Cr payment clearing: the credit note's receivable is paid out to the card/account.
    paid = port.refund(
        session,
        PaymentCall(
            order_number=rma.order_number,
            key=f"return:{req.rma_number}:refund",
            method=rma.payment_method,
            amount=amount,
            currency=rma.currency,
            posting_date=req.posting_date,
            reference=number,
        ),
    )
    if paid.status != "approved":
        _refund_failed(session, rma, number, amount, paid.reason or paid.status)
    return paid.payment_id


def _record_credit_note(
    session: Session,
    req: RefundRequest,
    rma: RmaHead,
    method: Method,
    number: str,
    net: Decimal,
    tax: Decimal,
    entry_id: int,
    payment_id: int | None,
) -> None:
    """The credit note row, and the refunded amount on the return."""
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
            "r": rma.id,
            "e": rma.entity_id,
            "cu": rma.customer_id,
            "cur": rma.currency,
            "net": net,
            "tax": tax,
            "total": net + tax,
            "m": method,
            "je": entry_id,
            "p": payment_id,
            "d": req.posting_date,
        },
    )
    session.connection().execute(
        text(
            "UPDATE return_authorisation SET refunded = :t, refunded_early = :early, credit_note_number = :n"
            " WHERE id = :r"
        ),
        {"t": net + tax, "early": req.early, "n": number, "r": rma.id},
    )


def _refund_failed(session: Session, rma: RmaHead, number: str, amount: Decimal, reason: str) -> int:
    """The provider did not give the money back: the credit stays on the order's receivable, and sales ops
    get a task that says why and offers the decisions (services/payments/failed_refunds.py)."""
    return tasks.open_task(session, failed_refunds.task_spec(rma, number, amount, reason))
