"""Returned goods in: each inspected part is booked by its disposition, once per part key.

restock/refurbish/quarantine: a receipt at the original cost into the part's location (Dr Inventory, Cr COGS);
scrap: no stock, Dr Write-off, Cr COGS; return to vendor: received into quarantine at the original cost, then
issued to the supplier against a debit note (Dr AP for the supplier, Cr Inventory)."""

from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.returns import GoodsReceipt, ReceiptPart, ReceiptResult
from rules.accounts import AccountRole
from rules.money import quantize, quantize_cost
from rules.posting_rules import customer_return
from rules.valuation import AverageCost, FifoLayer, consume_fifo, issue_average
from services.core import ledger, open_items, stock
from services.core.events import emit
from services.core.ledger import LineIn
from services.returns.store import RmaHead, RmaLine, booked_part_value, header, lines

_ZERO = Decimal(0)


def _cogs_offset(value: Decimal, currency: str) -> list[LineIn]:
    """The non-inventory side of a restock at cost: the COGS reversal (domain.md section 4)."""
    draft = customer_return(_ZERO, _ZERO, value, _ZERO, currency)
    return [LineIn(d.role, d.amount, d.memo) for d in draft.lines if d.role != AccountRole.INVENTORY]


def _receive_at_cost(
    session: Session,
    rma: RmaHead,
    line: RmaLine,
    part: ReceiptPart,
    key: str,
    on: date,
    actor: str,
) -> tuple[list[int], Decimal]:
    """Receipt at the original unit cost into the part's location; one move per serial number."""
    assert part.location_id is not None
    currency = rma.currency
    unit = quantize_cost(line.unit_cost)
    pieces = (
        [(Decimal(1), f"{key}:sn:{sn}", sn) for sn in part.serials]
        if part.serials
        else [(part.qty, key, None)]
    )
    move_ids: list[int] = []
    total = _ZERO
    for qty, piece_key, serial in pieces:
        value = quantize(qty * unit, currency)
        out = stock.move(
            session,
            stock.MoveIn(
                item_id=line.item_id,
                location_id=part.location_id,
                qty=qty,
                unit_cost=unit,
                reason=f"return {part.disposition}",
                source_type="return",
                source_id=rma.rma_number,
                idempotency_key=piece_key,
                posting_date=on,
                offset_lines=_cogs_offset(value, currency) if value else (),
                serial=serial,
                actor=actor,
            ),
        )
        move_ids.append(out.move_id)
        total += out.value
    return move_ids, total


def _scrap(
    session: Session, rma: RmaHead, line: RmaLine, part: ReceiptPart, key: str, on: date
) -> tuple[int | None, Decimal]:
    """Scrapped units never re-enter stock: their original cost moves from COGS to write-off."""
    currency = rma.currency
    value = quantize(part.qty * quantize_cost(line.unit_cost), currency)
    if not value:
        return None, value
    draft = customer_return(_ZERO, _ZERO, _ZERO, value, currency)
    posted = ledger.post(
        session,
        ledger.PostingRequest(
            entity_id=rma.entity_id,
            idempotency_key=f"{key}:gl",
            posting_date=on,
            source_type="return",
            source_id=rma.rma_number,
            currency=currency,
            memo=f"return {rma.rma_number}: {part.qty} x {line.sku} scrapped",
            lines=[LineIn(d.role, d.amount, d.memo) for d in draft.lines],
        ),
    )
    return posted.entry_id, value


def _to_vendor(
    session: Session,
    rma: RmaHead,
    line: RmaLine,
    part: ReceiptPart,
    key: str,
    on: date,
    actor: str,
) -> tuple[list[int], Decimal, str]:
    """Quarantine receipt at cost, then issue to the supplier: the AP reduction and the debit note document."""
    assert part.supplier_id is not None and part.location_id is not None
    move_ids, _ = _receive_at_cost(session, rma, line, part, f"{key}:in", on, actor)
    supplier_code = str(
        session.connection()
        .execute(text("SELECT code, currency FROM supplier WHERE id = :s"), {"s": part.supplier_id})
        .one()[0]
    )
    note = f"DN-{rma.rma_number}-{key.rsplit(':', 1)[-1]}"
    pieces = (
        [(Decimal(1), f"{key}:out:sn:{sn}", sn) for sn in part.serials]
        if part.serials
        else [(part.qty, f"{key}:out", None)]
    )
    issued = _ZERO
    for qty, piece_key, serial in pieces:
        move_id, value = _issue_to_vendor(session, rma, line, part, qty, piece_key, serial, note, on, actor)
        move_ids.append(move_id)
        issued += value
    _emit_debit_note(session, rma, line, part, key, note, supplier_code, issued, on)
    return move_ids, issued, note


def _issue_to_vendor(
    session: Session,
    rma: RmaHead,
    line: RmaLine,
    part: ReceiptPart,
    qty: Decimal,
    piece_key: str,
    serial: str | None,
    note: str,
    on: date,
    actor: str,
) -> tuple[int, Decimal]:
    """Issue one piece to the supplier against AP (Dr AP, Cr Inventory); returns the move and its value."""
    assert part.location_id is not None
    # The AP side must equal the issue value, which valuation decides: preview it the same way.
    value = _issue_value_preview(session, line.item_id, part.location_id, qty, rma.currency)
    out = stock.move(
        session,
        stock.MoveIn(
            item_id=line.item_id,
            location_id=part.location_id,
            qty=-qty,
            reason="return to vendor",
            source_type="return",
            source_id=rma.rma_number,
            idempotency_key=piece_key,
            posting_date=on,
            offset_lines=[
                LineIn(AccountRole.AP, value, f"debit note {note}", "supplier", str(part.supplier_id))
            ],
            serial=serial,
            actor=actor,
        ),
    )
    if out.journal_entry_id is not None:
        open_items.record(session, out.journal_entry_id, "debit_note", note)
    return out.move_id, -out.value


def _emit_debit_note(
    session: Session,
    rma: RmaHead,
    line: RmaLine,
    part: ReceiptPart,
    key: str,
    note: str,
    supplier_code: str,
    issued: Decimal,
    on: date,
) -> None:
    """The return.debit_note event: the document the supplier is sent."""
    rma_number = rma.rma_number
    emit(
        session,
        event_type="return.debit_note",
        key=f"{key}:debit_note",
        entity_id=rma.entity_id,
        document_type="return",
        document_id=rma_number,
        data={
            "number": note,
            "rma_number": rma_number,
            "supplier_id": part.supplier_id,
            "supplier_code": supplier_code,
            "sku": line.sku,
            "qty": str(part.qty),
            "serials": part.serials,
            "value": str(issued),
            "currency": rma.currency,
            "issued_on": on.isoformat(),
        },
    )


def _issue_value_preview(
    session: Session, item_id: int, location_id: int, qty: Decimal, currency: str
) -> Decimal:
    """What issuing `qty` will cost by the item's valuation method (the move that follows consumes it)."""
    method = (
        session.connection()
        .execute(text("SELECT valuation_method FROM item WHERE id = :i"), {"i": item_id})
        .scalar_one()
    )
    if method == "fifo":
        rows = (
            session.connection()
            .execute(
                text(
                    "SELECT id, qty_remaining, unit_cost FROM fifo_layer WHERE item_id = :i AND location_id = :l"
                    " AND qty_remaining > 0 ORDER BY received_on, id"
                ),
                {"i": item_id, "l": location_id},
            )
            .all()
        )
        return consume_fifo(
            [FifoLayer(str(r[0]), Decimal(r[1]), Decimal(r[2])) for r in rows], qty, currency
        ).value
    row = (
        session.connection()
        .execute(
            text(
                "SELECT on_hand, value FROM stock_balance WHERE item_id = :i AND location_id = :l FOR UPDATE"
            ),
            {"i": item_id, "l": location_id},
        )
        .one()
    )
    return issue_average(AverageCost(Decimal(row[0]), Decimal(row[1])), qty, currency)[1]


def _book_part(
    session: Session, rma: RmaHead, line: RmaLine, part: ReceiptPart, n: int, req: GoodsReceipt
) -> Decimal:
    """Move and post one part by its disposition and record it; returns the cost it booked."""
    key = f"return:{req.rma_number}:part:{n}"
    move_ids: list[int] = []
    entry_id: int | None = None
    note: str | None = None
    if part.disposition == "scrap":
        entry_id, value = _scrap(session, rma, line, part, key, req.received_on)
    elif part.disposition == "return_to_vendor":
        move_ids, value, note = _to_vendor(session, rma, line, part, key, req.received_on, req.received_by)
    else:
        move_ids, value = _receive_at_cost(session, rma, line, part, key, req.received_on, req.received_by)
    session.connection().execute(
        text(
            """
            INSERT INTO return_disposition (return_id, part_no, line_no, qty, disposition, location_id, serial, value,
                                            stock_move_id, journal_entry_id, supplier_id, debit_note_number,
                                            received_on, received_by)
            VALUES (:r, :p, :ln, :q, :d, :l, :sn, :v, :m, :je, :s, :dn, :on, :by)
            """
        ),
        {
            "r": rma.id,
            "p": n,
            "ln": part.line_no,
            "q": part.qty,
            "d": part.disposition,
            "l": part.location_id,
            "sn": ",".join(part.serials)[:80] or None,
            "v": value,
            "m": move_ids[0] if move_ids else None,
            "je": entry_id,
            "s": part.supplier_id,
            "dn": note,
            "on": req.received_on,
            "by": req.received_by,
        },
    )
    session.connection().execute(
        text(
            "UPDATE return_line SET received_qty = received_qty + :q WHERE return_id = :r AND line_no = :ln"
        ),
        {"q": part.qty, "r": rma.id, "ln": part.line_no},
    )
    return value


def receive(session: Session, req: GoodsReceipt) -> ReceiptResult:
    """Book every part of a receipt by its disposition and report the goods in (return.received)."""
    rma = header(session, req.rma_number, lock=True)
    by_line = lines(session, rma.id)
    received: dict[int, Decimal] = {}
    values: dict[str, Decimal] = {}
    for n, part in enumerate(req.parts, start=req.first_part_no):
        done = booked_part_value(session, rma.id, n)
        # A retried activity whose first attempt committed: the part is booked already.
        value = done if done is not None else _book_part(session, rma, by_line[part.line_no], part, n, req)
        received[part.line_no] = received.get(part.line_no, _ZERO) + part.qty
        values[part.disposition] = values.get(part.disposition, _ZERO) + value
    emit(
        session,
        event_type="return.received",
        key=f"return:{req.rma_number}:received:{req.first_part_no}",
        entity_id=rma.entity_id,
        document_type="sales_order",
        document_id=rma.order_number,
        data={
            "order_number": rma.order_number,
            "return_key": req.rma_number,
            "received_on": req.received_on.isoformat(),
            "lines": [
                {
                    "line_no": by_line[p.line_no].order_line_no,
                    "item_id": by_line[p.line_no].item_id,
                    "sku": by_line[p.line_no].sku,
                    "qty": str(p.qty),
                    "location_id": p.location_id,
                }
                for p in req.parts
            ],
        },
    )
    return ReceiptResult(received=received, value_by_disposition=values)
