"""Goods receipts: receipt rows, valued stock moves (GRNI + landed accrual) and inbound, in one transaction."""

import json
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.purchasing import ReceiptRecord, ReceiptResult
from rules.accounts import AccountRole
from rules.money import quantize, quantize_cost
from rules.posting_rules import goods_receipt
from services import po_store, stock
from services.events import emit, skus
from services.ledger import LineIn, entity_currency


def _existing(session: Session, po_id: int, receipt_no: int) -> int | None:
    row = (
        session.connection()
        .execute(
            text("SELECT id FROM goods_receipt WHERE po_id = :po AND receipt_no = :r"),
            {"po": po_id, "r": receipt_no},
        )
        .first()
    )
    return int(row[0]) if row else None


def _result(session: Session, number: str, receipt_id: int, receipt_no: int) -> ReceiptResult:
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
    receipt_id = int(
        session.connection()
        .execute(
            text(
                "INSERT INTO goods_receipt (po_id, receipt_no, delivery_note, received_by, received_on)"
                " VALUES (:po, :r, :dn, :by, :on) RETURNING id"
            ),
            {
                "po": po.id,
                "r": rec.receipt_no,
                "dn": req.delivery_note,
                "by": req.received_by,
                "on": req.received_on,
            },
        )
        .scalar_one()
    )
    func = entity_currency(session, po.entity_id)
    by_no = {int(ln["line_no"]): ln for ln in po_store.lines(session, po.id)}
    key = f"po:{po.number}:receipt:{rec.receipt_no}"
    for rl in req.lines:
        ln = by_no[rl.line_no]
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
                "pl": ln["id"],
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
            {"q": rl.qty, "rej": rl.rejected_qty, "id": ln["id"]},
        )
    sku = skus(session, (int(by_no[rl.line_no]["item_id"]) for rl in req.lines))
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
                    "item_id": int(by_no[rl.line_no]["item_id"]),
                    "sku": sku.get(int(by_no[rl.line_no]["item_id"])),
                    "qty": str(rl.qty),  # accepted; rejected units never enter stock
                    "location_id": int(by_no[rl.line_no]["location_id"]),
                }
                for rl in req.lines
            ],
        },
    )
    po_store.audit(
        session,
        po,
        key,
        "po.received",
        req.received_by,
        {"receipt_no": rec.receipt_no, "delivery_note": req.delivery_note},
    )
    return _result(session, rec.number, receipt_id, rec.receipt_no)


def _json_list(values: list[str]) -> str:
    return json.dumps(values)


def _move(
    session: Session,
    po: po_store.PoHead,
    ln: dict[str, Any],
    qty: Decimal,
    lot: str | None,
    serials: list[str],
    key: str,
    on: date,
    func: str,
    actor: str,
) -> tuple[Decimal, Decimal]:
    """Stock in at PO price + landed estimate (entity currency); one move per serial number."""
    price, landed_unit = Decimal(ln["price"]), Decimal(ln["landed_unit"])
    unit_po = quantize_cost(price * po.fx_rate)
    unit_cost = quantize_cost((price + landed_unit) * po.fx_rate)
    # Release only what this PO still had on order, never another PO's inbound (over-receipt).
    open_qty = Decimal(ln["qty"]) - Decimal(ln["received_qty"]) - Decimal(ln["cancelled_qty"])
    release = max(min(qty, open_qty), Decimal(0))
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
                item_id=int(ln["item_id"]),
                location_id=int(ln["location_id"]),
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
