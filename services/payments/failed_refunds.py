"""A refund the payment provider refused: the task that says why, and what each decision on it does.

The credit note stays on the order's receivable (the shop owes the customer) until someone decides: retry
the refund through the provider (a new attempt, keyed `return:{rma}:refund:retry{n}`), pay it by bank
transfer (receivable -> refunds payable, tagged with the customer, until the transfer is paid), or write
it off with a reason (receivable -> refund write-off). Each decision posts once (keyed by attempt)."""

from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.payments import FailedRefundDecision, FailedRefundOutcome
from models.contracts.sales import PaymentCall
from models.contracts.tasks import TaskSpec
from rules.accounts import AccountRole
from rules.failed_refunds import OPTIONS, check_decision, settle_credit
from services.core import ledger, open_items, tasks
from services.core.errors import NotFound
from services.core.ledger import LineIn
from services.returns.store import RmaHead, header
from services.sales.payments import PaymentPort

KIND = "refund_failed"
ROLE = "sales_ops"


def task_key(rma_number: str, attempt: int = 1) -> str:
    """The task of the `attempt`-th failed refund of a return (the first keeps its original key)."""
    return f"return:{rma_number}:refund_failed" + (f":{attempt}" if attempt > 1 else "")


def task_spec(rma: RmaHead, credit_note: str, amount: Decimal, reason: str, attempt: int = 1) -> TaskSpec:
    """The task of a refused refund: why, and the decisions sales ops may take (rules/failed_refunds.py)."""
    return TaskSpec(
        task_key=task_key(rma.rma_number, attempt),
        kind=KIND,
        workflow_id=rma.workflow_id,
        workflow_type="Return",
        subject_type="return",
        subject_id=rma.rma_number,
        entity_id=rma.entity_id,
        title=f"Refund of {amount} {rma.currency} for {credit_note} failed: {reason}",
        candidate_role=ROLE,
        options=list(OPTIONS),
        details={
            "order_number": rma.order_number,
            "credit_note": credit_note,
            "amount": str(amount),
            "currency": rma.currency,
            "reason": reason,
            "attempt": attempt,
            "next_step": "retry the refund, pay the customer by bank transfer, or write it off with a reason",
        },
    )


def first_task(session: Session, rma_number: str) -> int | None:
    """The task opened when the return's refund first failed, if it did."""
    found = (
        session.connection()
        .execute(text("SELECT id FROM task WHERE task_key = :k"), {"k": task_key(rma_number)})
        .scalar()
    )
    return None if found is None else int(found)


def _credit_note(session: Session, return_id: int) -> tuple[str, Decimal]:
    row = (
        session.connection()
        .execute(text("SELECT number, total FROM credit_note WHERE return_id = :r"), {"r": return_id})
        .first()
    )
    if row is None:
        raise NotFound("rma_number", "the return has no credit note to refund")
    number, total = row
    return str(number), Decimal(total)


def decide(session: Session, req: FailedRefundDecision, port: PaymentPort) -> FailedRefundOutcome:
    """Carry out a decision on a failed refund (once per attempt and decision)."""
    check_decision(req.decision, req.comment)
    rma = header(session, req.rma_number, lock=True)
    number, total = _credit_note(session, rma.id)
    if req.decision == "retry":
        return _retry(session, req, rma, number, total, port)
    key = f"return:{req.rma_number}:refund_failed:{req.attempt}:{req.decision}"
    memo = f"{number}: " + (
        "refund by bank transfer" if req.decision == "bank_transfer" else "refund written off"
    )
    if req.comment:
        memo = f"{memo} ({req.comment})"[:200]
    customer = ("customer", rma.customer_code)
    order = ("order", rma.order_number)
    entry = ledger.post(
        session,
        ledger.PostingRequest(
            entity_id=rma.entity_id,
            idempotency_key=key,
            posting_date=req.posting_date,
            source_type="return",
            source_id=req.rma_number,
            currency=rma.currency,
            memo=memo,
            lines=[
                LineIn(d.role, d.amount, d.memo, *(order if d.role == AccountRole.AR else customer))
                for d in settle_credit(
                    "bank_transfer" if req.decision == "bank_transfer" else "write_off", total
                ).lines
            ],
        ),
    ).entry_id
    # The receivable's credit (the credit note's open item) is settled by this document.
    open_items.record(session, entry, "refund", key, against=number)
    outcome = "payable" if req.decision == "bank_transfer" else "written_off"
    return FailedRefundOutcome(outcome=outcome, entry_id=entry)


def _retry(
    session: Session,
    req: FailedRefundDecision,
    rma: RmaHead,
    number: str,
    total: Decimal,
    port: PaymentPort,
) -> FailedRefundOutcome:
    """Refund through the provider again; refused again, the next task opens."""
    paid = port.refund(
        session,
        PaymentCall(
            order_number=rma.order_number,
            key=f"return:{req.rma_number}:refund:retry{req.attempt}",
            method=rma.payment_method,
            amount=total,
            currency=rma.currency,
            posting_date=req.posting_date,
            reference=number,
        ),
    )
    if paid.status == "approved":
        session.connection().execute(
            text("UPDATE credit_note SET payment_id = :p WHERE return_id = :r"),
            {"p": paid.payment_id, "r": rma.id},
        )
        return FailedRefundOutcome(outcome="refunded", entry_id=paid.journal_entry_id)
    spec = task_spec(rma, number, total, paid.reason or paid.status, attempt=req.attempt + 1)
    return FailedRefundOutcome(outcome="failed", task_id=tasks.open_task(session, spec))
