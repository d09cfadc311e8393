"""Goods receipts: receipt rows, valued stock moves (GRNI + landed accrual) and inbound, in one transaction."""

import json
from datetime import date
from decimal import Decimal

from sqlalchemy import select, text
from sqlmodel import Session, col

from models.contracts.purchasing import ReceiptLineIn, ReceiptRecord, ReceiptRequest, ReceiptResult
from models.purchasing import GoodsReceipt
from rules.accounts import AccountRole
from rules.money import quantize, quantize_cost
from rules.posting_rules import goods_receipt
from services.core import stock
from services.core.events import emit, skus
from services.core.ledger import LineIn, entity_currency
from services.purchasing import store as po_store


def _existing(session: Session, po_id: int, receipt_no: int) -> int | None:
    """The id of the PO's receipt with this number, if it is recorded already."""
    found = session.connection().execute(
        select(col(GoodsReceipt.id)).where(
            col(GoodsReceipt.po_id) == po_id, col(GoodsReceipt.receipt_no) == receipt_no
        )
    )
    return found.scalar()


def _result(session: Session, number: str, receipt_id: int, receipt_no: int) -> ReceiptResult:
    """What the receipt accepted per PO line and its stock value (PO value + landed estimate)."""
    rows = (
        session.connection()
        .execute(
            text(
                "SELECT l.line_no, g.qty, g.po_value + g.landed_estimate FROM goods_receipt_line g"
                " JOIN purchase_order_line l ON l.id = g.po_line_id WHERE g.receipt_id = :r"
            ),
            {"r": receipt_id},
        )
        .all()
    )
    accepted: dict[int, Decimal] = {}
    for line_no, q, _ in rows:
        accepted[int(line_no)] = accepted.get(int(line_no), Decimal(0)) + Decimal(q)
    value = sum((Decimal(r[2]) for r in rows), Decimal(0))
    return ReceiptResult(number=number, receipt_no=receipt_no, accepted=accepted, value=value)


def record(session: Session, rec: ReceiptRecord) -> ReceiptResult:
    """Record one delivery once per (PO, receipt_no): a retried activity returns the first result."""
    po = po_store.head(session, rec.number, lock=True)
    found = _existing(session, po.id, rec.receipt_no)
    if found is not None:
        return _result(session, rec.number, found, rec.receipt_no)
    req = rec.request
    receipt_id = _insert_receipt(session, po.id, rec)
    func = entity_currency(session, po.entity_id)
    by_no = po_store.lines_by_no(session, po.id)
    key = f"po:{po.number}:receipt:{rec.receipt_no}"
    for rl in req.lines:
        _receive_line(session, po, by_no[rl.line_no], rl, receipt_id, key, req, func)
    _emit_received(session, po, rec, by_no, key)
    po_store.audit(
        session,
        po,
        key,
        "po.received",
        req.received_by,
        {"receipt_no": rec.receipt_no, "delivery_note": req.delivery_note},
    )
    return _result(session, rec.number, receipt_id, rec.receipt_no)


def _insert_receipt(session: Session, po_id: int, rec: ReceiptRecord) -> int:
    """The goods receipt header; returns its id."""
    req = rec.request
    return int(
        session.connection()
        .execute(
            text(
                "INSERT INTO goods_receipt (po_id, receipt_no, delivery_note, received_by, received_on)"
                " VALUES (:po, :r, :dn, :by, :on) RETURNING id"
            ),
            {
                "po": po_id,
                "r": rec.receipt_no,
                "dn": req.delivery_note,
                "by": req.received_by,
                "on": req.received_on,
            },
        )
        .scalar_one()
    )


def _receive_line(
    session: Session,
    po: po_store.PoHead,
    ln: po_store.OrderLine,
    rl: ReceiptLineIn,
    receipt_id: int,
    key: str,
    req: ReceiptRequest,
    func: str,
) -> None:
    """Accepted units enter stock at PO value (+ landed estimate); the receipt line and PO line count both."""
    po_value = landed = Decimal(0)
    if rl.qty > 0:
        po_value, landed = _move(
            session,
            po,
            ln,
            rl.qty,
            rl.lot,
            rl.serials,
            f"{key}:line:{rl.line_no}",
            req.received_on,
            func,
            req.received_by,
        )
    session.connection().execute(
        text(
            """
                INSERT INTO goods_receipt_line (receipt_id, po_line_id, qty, rejected_qty, lot, serials, po_value,
                                                landed_estimate)
                VALUES (:r, :pl, :q, :rej, :lot, CAST(:sn AS jsonb), :pv, :le)
                """
        ),
        {
            "r": receipt_id,
            "pl": ln.id,
            "q": rl.qty,
            "rej": rl.rejected_qty,
            "lot": rl.lot,
            "sn": _json_list(rl.serials),
            "pv": po_value,
            "le": landed,
        },
    )
    session.connection().execute(
        text(
            "UPDATE purchase_order_line SET received_qty = received_qty + :q,"
            " rejected_qty = rejected_qty + :rej WHERE id = :id"
        ),
        {"q": rl.qty, "rej": rl.rejected_qty, "id": ln.id},
    )


def _emit_received(
    session: Session, po: po_store.PoHead, rec: ReceiptRecord, by_no: dict[int, po_store.OrderLine], key: str
) -> None:
    """The goods_receipt.posted event, once per receipt."""
    req = rec.request
    sku = skus(session, (by_no[rl.line_no].item_id for rl in req.lines))
    emit(
        session,
        event_type="goods_receipt.posted",
        key=f"{key}:event",
        entity_id=po.entity_id,
        document_type="purchase_order",
        document_id=po.number,
        data={
            "po_number": po.number,
            "receipt_no": rec.receipt_no,
            "delivery_note": req.delivery_note,
            "received_on": req.received_on.isoformat(),
            "lines": [
                {
                    "line_no": rl.line_no,
                    "item_id": by_no[rl.line_no].item_id,
                    "sku": sku.get(by_no[rl.line_no].item_id),
                    "qty": str(rl.qty),  # accepted; rejected units never enter stock
                    "location_id": by_no[rl.line_no].location_id,
                }
                for rl in req.lines
            ],
        },
    )


def _json_list(values: list[str]) -> str:
    return json.dumps(values)


def _move(
    session: Session,
    po: po_store.PoHead,
    ln: po_store.OrderLine,
    qty: Decimal,
    lot: str | None,
    serials: list[str],
    key: str,
    on: date,
    func: str,
    actor: str,
) -> tuple[Decimal, Decimal]:
    """Stock in at PO price + landed estimate (entity currency); one move per serial number."""
    unit_po = quantize_cost(ln.price * po.fx_rate)
    unit_cost = quantize_cost((ln.price + ln.landed_unit) * po.fx_rate)
    # Release only what this PO still had on order, never another PO's inbound (over-receipt).
    release = max(min(qty, ln.open_qty), Decimal(0))
    parts = [(Decimal(1), f"{key}:sn:{sn}", sn) for sn in serials] if serials else [(qty, key, None)]
    total_po = total_landed = Decimal(0)
    for part_qty, part_key, serial in parts:
        po_value = quantize(part_qty * unit_po, func)
        value = quantize(part_qty * unit_cost, func)
        # The landed part takes the rounding, so inventory = GRNI + accrual to the cent.
        draft = goods_receipt(po_value, value - po_value, func)
        offsets = [LineIn(d.role, d.amount, d.memo) for d in draft.lines if d.role != AccountRole.INVENTORY]
        part_release = min(release, part_qty)
        release -= part_release
        stock.move(
            session,
            stock.MoveIn(
                item_id=ln.item_id,
                location_id=ln.location_id,
                qty=part_qty,
                reason="purchase_receipt",
                source_type="purchase_order",
                source_id=po.number,
                idempotency_key=part_key,
                posting_date=on,
                unit_cost=unit_cost,
                offset_lines=offsets,
                lot=lot,
                serial=serial,
                release_inbound=part_release,
                actor=actor,
            ),
        )
        total_po += po_value
        total_landed += value - po_value
    return total_po, total_landed
