"""Repairs for a document whose workflow has ended: what is safe is done through the services the
cancellations use (same idempotency keys); the rest is described for a person."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.purchasing import CancelRecord, CloseRequest
from models.contracts.reconcile import Finding, RepairOutcome, TransferCancel
from models.contracts.returns import StageUpdate as ReturnStageUpdate
from models.contracts.sales import PaymentCall, StageUpdate
from models.contracts.tasks import TaskClose
from services.core import reservations, tasks
from services.operations.reconcile import case_exists
from services.purchasing import po_progress
from services.purchasing import store as po_store
from services.returns import store as returns_store
from services.sales import orders as sales_orders
from services.sales.payments import LedgerPaymentPort, PaymentPort
from services.sales.store import OrderHead, order_head

ACTOR = "reconciliation"
_ZERO = Decimal(0)


def repair(session: Session, finding: Finding, today: date, port: PaymentPort | None = None) -> RepairOutcome:
    """Close the ended workflow's tasks, then repair the document where that is safe (one transaction)."""
    doc = finding.document
    reason = f"workflow {doc.workflow_id} is {finding.workflow_status.lower()}: reconciled"
    done: list[str] = []
    closed = close_open_tasks(session, doc.workflow_id, reason)
    if closed:
        done.append(f"cancelled {closed} open task(s)")
    by_type: dict[str, Callable[[], str | None]] = {
        "purchase_order": lambda: _purchase_order(session, doc.number, reason, done),
        "sales_order": lambda: _sales_order(session, doc.number, today, port or LedgerPaymentPort(), done),
        "return": lambda: _return(session, doc.number, reason, done),
        "transfer_order": lambda: _transfer(session, doc.number, reason, done),
    }
    left = by_type[doc.doc_type]()
    return RepairOutcome(
        finding=finding, done=done, left=left, case_exists=case_exists(session, doc.doc_type, doc.number)
    )


def close_open_tasks(session: Session, workflow_id: str, reason: str) -> int:
    """Cancel every open task of a workflow (nobody can decide them any more); returns how many."""
    ids = session.connection().execute(
        text("SELECT id FROM task WHERE workflow_id = :w AND status = 'open' ORDER BY id"), {"w": workflow_id}
    )
    closed = 0
    for (task_id,) in ids.all():
        closed += tasks.close_task(
            session, TaskClose(task_id=int(task_id), status="cancelled", decided_by=ACTOR, comment=reason)
        )
    return closed


def _purchase_order(session: Session, number: str, reason: str, done: list[str]) -> str | None:
    """Never issued, or issued with nothing received: cancel (releasing inbound). Otherwise a person decides."""
    po = po_store.head(session, number, lock=True)
    row = (
        session.connection()
        .execute(
            text("SELECT stage, EXTRACT(EPOCH FROM now() - created_at) FROM purchase_order WHERE id = :id"),
            {"id": po.id},
        )
        .one()
    )
    stage, age = str(row[0]), int(row[1] or 0)
    if stage == "cancelled":
        # Cancelled while its issue was in flight (the issue committed after the compensation).
        _cancel_open_remainder(session, number, reason, done)
        return None
    if stage in ("closed", "rejected"):
        return None
    lines = po_store.lines(session, po.id)
    received = sum((ln.received_qty for ln in lines), _ZERO)
    ordered = sum((ln.qty for ln in lines), _ZERO)
    if stage not in ("draft", "approval", "issued", "delayed") or received > 0:
        return (
            f"PO {number} is {stage} with {received} of {ordered} received and its workflow has ended:"
            " decide the unreceived remainder and settle the invoices of what arrived outside the workflow"
        )
    if stage in ("issued", "delayed"):
        _cancel_open_remainder(session, number, reason, done)
        session.connection().execute(
            text(
                "UPDATE inbound_exception SET status = 'resolved', resolution = 'cancelled'"
                " WHERE po_id = :po AND status = 'open'"
            ),
            {"po": po.id},
        )
    po_progress.close(
        session,
        CloseRequest(
            number=number,
            stage="cancelled",
            closed_at=datetime.now(UTC),
            cycle_time_seconds=age,
            reason=reason,
        ),
    )
    done.append(f"PO {number} cancelled (was {stage})")
    return None


def _cancel_open_remainder(session: Session, number: str, reason: str, done: list[str]) -> None:
    """The same service as POST .../cancel after issue: takes the open quantity off inbound."""
    cancelled = po_progress.cancel_remaining(
        session,
        CancelRecord(number=number, key=f"po:{number}:reconcile:cancel", actor=ACTOR, reason=reason),
    )
    if cancelled:
        done.append(f"cancelled the open remainder {sum(cancelled.values(), _ZERO)} and released inbound")


def _sales_order(
    session: Session, number: str, today: date, port: PaymentPort, done: list[str]
) -> str | None:
    """Nothing shipped: release reservations and stock waits, cancel the lines, void the authorisation."""
    head = order_head(session, number)
    status = (
        session.connection()
        .execute(text("SELECT status FROM sales_order WHERE id = :o FOR UPDATE"), {"o": head.id})
        .scalar_one()
    )
    if status == "cancelled":
        # Cancelled while an allocation or authorisation was in flight: release and void what it left.
        _release_and_void(session, number, head, today, port, done)
        return None
    shipped = (
        session.connection()
        .execute(
            text("SELECT COALESCE(sum(qty_shipped), 0) FROM sales_order_line WHERE order_id = :o"),
            {"o": head.id},
        )
        .scalar_one()
    )
    if Decimal(shipped) > 0:
        return (
            f"order {number} has shipped {shipped} units and its workflow has ended: cancel or ship the rest,"
            " capture or void the payment by hand"
        )
    _release_and_void(session, number, head, today, port, done)
    session.connection().execute(
        text("UPDATE stock_waiter SET status = 'cancelled' WHERE workflow_id = :w AND status = 'waiting'"),
        {"w": f"Order-{number}"},
    )
    session.connection().execute(
        text(
            "UPDATE sales_order_line SET qty_backordered = 0, qty_cancelled = qty - qty_shipped, status = 'cancelled'"
            " WHERE order_id = :o"
        ),
        {"o": head.id},
    )
    sales_orders.set_stage(session, StageUpdate(order_number=number, stage="cancelled"))
    done.append(f"order {number} cancelled")
    return None


def _release_and_void(
    session: Session, number: str, head: OrderHead, today: date, port: PaymentPort, done: list[str]
) -> None:
    """Release the order's active reservations and void what was authorised and not captured or voided."""
    keys = session.connection().execute(
        text(
            "SELECT idempotency_key FROM reservation WHERE source_id = :n AND status = 'active' ORDER BY id"
        ),
        {"n": number},
    )
    released = sum((reservations.release(session, str(k)) for (k,) in keys.all()), _ZERO)
    if released:
        done.append(f"released {released} reserved units")
    paid: dict[str, Decimal] = dict(
        session.connection()
        .execute(
            text("SELECT kind, sum(amount) FROM sales_payment WHERE order_id = :o GROUP BY kind"),
            {"o": head.id},
        )
        .all()
    )
    rest = Decimal(paid.get("authorise", 0)) - Decimal(paid.get("capture", 0)) - Decimal(paid.get("void", 0))
    if rest > 0:
        # The workflow's own void key (one authorisation per order, so at most one void, whoever records it).
        port.void(
            session,
            PaymentCall(
                order_number=number,
                key=f"order:{number}:payment:void",
                method=head.payment_method,
                amount=rest,
                currency=head.currency,
                posting_date=today,
            ),
        )
        done.append(f"voided the authorisation of {rest}")


def _return(session: Session, rma_number: str, reason: str, done: list[str]) -> str | None:
    """Before the goods and before any refund: cancel the RMA. Otherwise a person books or refunds."""
    row = (
        session.connection()
        .execute(
            text("SELECT stage, refunded FROM return_authorisation WHERE rma_number = :n FOR UPDATE"),
            {"n": rma_number},
        )
        .one()
    )
    stage, refunded = str(row[0]), Decimal(row[1])
    if stage in ("requested", "approval", "awaiting_goods") and refunded == 0:
        returns_store.set_stage(
            session,
            ReturnStageUpdate(
                rma_number=rma_number,
                stage="cancelled",
                pending_on="nothing (cancelled)",
                closed_reason=reason,
            ),
        )
        done.append(f"return {rma_number} cancelled (was {stage})")
        return None
    return (
        f"return {rma_number} is {stage} (refunded {refunded}) and its workflow has ended:"
        " book the goods, the refund or the write-off by hand"
    )


def _transfer(session: Session, number: str, reason: str, done: list[str]) -> str | None:
    """A draft moved nothing: cancel it. Goods in transit must be received by a person."""
    status = cancel_transfer_draft(session, TransferCancel(number=number, actor=ACTOR, reason=reason))
    if status == "cancelled":
        done.append(f"transfer {number} cancelled (was draft)")
        return None
    return f"transfer {number} is {status} and its workflow has ended: receive the goods in transit by hand"


def cancel_transfer_draft(session: Session, req: TransferCancel) -> str:
    """Cancel a transfer that has not shipped; returns its status afterwards (cancelling twice is harmless)."""
    session.connection().execute(
        text("UPDATE transfer_order SET status = 'cancelled' WHERE number = :n AND status = 'draft'"),
        {"n": req.number},
    )
    status = (
        session.connection()
        .execute(text("SELECT status FROM transfer_order WHERE number = :n"), {"n": req.number})
        .scalar()
    )
    return "cancelled" if status is None else str(status)  # never persisted: nothing exists to cancel
