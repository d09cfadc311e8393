"""A PO once approved: issued to the supplier, confirmed or delayed by it, the rest cancelled, closed; with
the events each step emits."""

from datetime import date
from decimal import Decimal

from sqlalchemy import text, update
from sqlmodel import Session, col

from models.contracts.purchasing import (
    CancelRecord,
    CloseRequest,
    ConfirmationRecord,
    DelayRaised,
    DelayResolved,
    IssuePo,
    OutboxRecord,
    WindowQuery,
)
from models.purchasing import InboundException, PurchaseOrder, PurchaseOrderLine
from services.core import reservations
from services.core.events import emit
from services.purchasing.store import PoHead, audit, head, lines


def _approvers(session: Session, number: str, revision: int) -> list[str]:
    """Who approved each level of a revision, in level order."""
    rows = session.connection().execute(
        text(
            """
            SELECT decided_by FROM task
             WHERE kind = 'po_approval' AND subject_type = 'purchase_order' AND subject_id = :n
               AND decision = 'approve' AND CAST(details->>'revision' AS int) = :r
             ORDER BY CAST(details->>'level' AS int), id
            """
        ),
        {"n": number, "r": revision},
    )
    return [str(r[0]) for r in rows if r[0] is not None]


def _emit_approved(session: Session, po: PoHead, revision: int) -> None:
    """Report the final approval of a revision (purchase_order.approved)."""
    emit(
        session,
        event_type="purchase_order.approved",
        key=f"po:{po.number}:rev:{revision}:approved",
        entity_id=po.entity_id,
        document_type="purchase_order",
        document_id=po.number,
        data={
            "number": po.number,
            "revision": revision,
            "supplier_id": po.supplier_id,
            "currency": po.currency,
            "total": str(po.total),
            "approved_by": _approvers(session, po.number, revision),
        },
    )


def issue(session: Session, req: IssuePo) -> None:
    """Approved -> issued: the approval and issue events, inbound quantities and the status, together."""
    po = head(session, req.number, lock=True)
    po_lines = lines(session, po.id)
    # The last level's decision closes a generic task (services.core.tasks knows no chains); the workflow
    # issues right after the final approval and only then, so this is the approval's first own transaction.
    _emit_approved(session, po, req.revision)
    emit(
        session,
        event_type="purchase_order.issued",
        key=f"po:{po.number}:issued",
        entity_id=po.entity_id,
        document_type="purchase_order",
        document_id=po.number,
        data={
            "number": po.number,
            "revision": req.revision,
            "supplier_id": po.supplier_id,
            "currency": po.currency,
            "lines": [
                {"line_no": ln.line_no, "item_id": ln.item_id, "qty": str(ln.qty), "price": str(ln.price)}
                for ln in po_lines
            ],
        },
    )
    for ln in po_lines:
        reservations.add_inbound(
            session,
            item_id=ln.item_id,
            location_id=ln.location_id,
            qty=ln.qty,
            idempotency_key=f"po:{po.number}:line:{ln.line_no}:inbound",
        )
    session.connection().execute(
        update(PurchaseOrder)
        .where(col(PurchaseOrder.id) == po.id)
        .values(stage="issued", pending_on="supplier", issued_at=req.issued_at)
    )
    audit(session, po, f"po:{po.number}:issued", "po.issued", "system", {"revision": req.revision})


def outbox(session: Session, rec: OutboxRecord) -> None:
    """Write an outbound document about the PO once per key (its kind is a catalogue event type)."""
    po = head(session, rec.number)
    emit(
        session,
        event_type=rec.kind,
        key=rec.key,
        entity_id=po.entity_id,
        document_type="purchase_order",
        document_id=po.number,
        data=rec.payload,
    )


def _emit_cancelled(session: Session, po: PoHead, reason: str | None) -> None:
    """Report that the PO, or what is still open on it, will not be delivered (once per PO)."""
    emit(
        session,
        event_type="purchase_order.cancelled",
        key=f"po:{po.number}:cancelled",
        entity_id=po.entity_id,
        document_type="purchase_order",
        document_id=po.number,
        data={"number": po.number, "reason": reason},
    )


def _set_expected_date(session: Session, po_id: int, on: date) -> None:
    """The date the PO's goods are now expected (confirmed by the supplier or agreed after a delay)."""
    session.connection().execute(
        update(PurchaseOrder).where(col(PurchaseOrder.id) == po_id).values(expected_date=on)
    )


def confirm(session: Session, rec: ConfirmationRecord) -> None:
    """Record the supplier's confirmed date and quantities."""
    po = head(session, rec.number, lock=True)
    _set_expected_date(session, po.id, rec.request.confirmed_date)
    for line_no, confirmed in sorted(rec.request.lines.items()):
        session.connection().execute(
            update(PurchaseOrderLine)
            .where(col(PurchaseOrderLine.po_id) == po.id, col(PurchaseOrderLine.line_no) == line_no)
            .values(confirmed_qty=confirmed)
        )
    audit(
        session,
        po,
        f"po:{po.number}:confirmation:{rec.request.reference}",
        "po.confirmed",
        rec.request.actor,
        {
            "confirmed_date": rec.request.confirmed_date.isoformat(),
            "lines": {str(k): str(v) for k, v in rec.request.lines.items()},
        },
    )


def cancel_remaining(session: Session, rec: CancelRecord) -> dict[int, Decimal]:
    """Cancel what is still open on each line and take it off inbound; returns the cancelled qty per line."""
    po = head(session, rec.number, lock=True)
    done: dict[int, Decimal] = {}
    for ln in lines(session, po.id):
        open_qty = ln.open_qty
        if open_qty <= 0:
            continue
        key = f"{rec.key}:line:{ln.line_no}"
        if reservations.add_inbound(
            session, item_id=ln.item_id, location_id=ln.location_id, qty=-open_qty, idempotency_key=key
        ):
            session.connection().execute(
                text("UPDATE purchase_order_line SET cancelled_qty = cancelled_qty + :q WHERE id = :id"),
                {"q": open_qty, "id": ln.id},
            )
        done[ln.line_no] = open_qty
    if done:
        # After this nothing is open, so a later cancel is refused: one cancellation fact per PO.
        _emit_cancelled(session, po, rec.reason)
    audit(
        session,
        po,
        rec.key,
        "po.remainder_cancelled",
        rec.actor,
        {"reason": rec.reason, "lines": {str(k): str(v) for k, v in done.items()}},
    )
    return done


def raise_delay(session: Session, req: DelayRaised) -> None:
    """Open the inbound exception of a missed delivery date."""
    po = head(session, req.number)
    session.connection().execute(
        text(
            """
            INSERT INTO inbound_exception (idempotency_key, po_id, kind, expected_date, raised_on, status, details)
            VALUES (:k, :po, 'supplier_delay', :ed, :on, 'open', '{}') ON CONFLICT (idempotency_key) DO NOTHING
            """
        ),
        {"k": f"po:{po.number}:delay:{req.seq}", "po": po.id, "ed": req.expected_date, "on": req.raised_on},
    )
    emit(
        session,
        event_type="supplier_delay.raised",
        key=f"po:{po.number}:delay:{req.seq}",
        entity_id=po.entity_id,
        document_type="purchase_order",
        document_id=po.number,
        data={
            "po_number": po.number,
            "supplier_id": po.supplier_id,
            "expected_date": req.expected_date.isoformat(),
            "kind": "late",
        },
    )


def resolve_delay(session: Session, req: DelayResolved) -> None:
    """Close the inbound exception with the decision; a new date moves the PO's expected date."""
    po = head(session, req.number)
    session.connection().execute(
        update(InboundException)
        .where(col(InboundException.idempotency_key) == f"po:{po.number}:delay:{req.seq}")
        .values(status="resolved", resolution=req.resolution)
    )
    if req.new_date is not None:
        _set_expected_date(session, po.id, req.new_date)
    audit(
        session,
        po,
        f"po:{po.number}:delay:{req.seq}:resolved",
        f"po.delay.{req.resolution}",
        req.actor,
        {"new_date": req.new_date.isoformat() if req.new_date else None},
    )


def close(session: Session, req: CloseRequest) -> None:
    """End the PO: closed (received, invoiced, paid), cancelled or rejected, with its cycle time."""
    po = head(session, req.number)
    session.connection().execute(
        update(PurchaseOrder)
        .where(col(PurchaseOrder.id) == po.id)
        .values(
            stage=req.stage,
            pending_on=None,
            closed_at=req.closed_at,
            cycle_time_seconds=req.cycle_time_seconds,
        )
    )
    if req.stage == "cancelled":
        # Cancelled before issue, or issued and cancelled before any delivery (then already reported
        # by cancel_remaining under the same key: this writes nothing).
        _emit_cancelled(session, po, req.reason)
    audit(
        session,
        po,
        f"po:{po.number}:{req.stage}",
        f"po.{req.stage}",
        "system",
        {"cycle_time_seconds": req.cycle_time_seconds, "reason": req.reason},
    )


def approved_in_window(session: Session, q: WindowQuery) -> Decimal:
    """What one approver (in person or through a delegate) approved in the last N days, in entity currency."""
    value = (
        session.connection()
        .execute(
            text(
                """
            SELECT COALESCE(sum(CAST(details->>'amount_func' AS numeric)), 0) FROM task
             WHERE kind = 'po_approval' AND decision = 'approve' AND COALESCE(acting_for, decided_by) = :u
               AND decided_at >= CAST(:asof AS timestamptz) - make_interval(days => :d)
            """
            ),
            {"u": q.username, "asof": q.as_of, "d": q.days},
        )
        .scalar_one()
    )
    return Decimal(value)
