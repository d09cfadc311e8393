"""Shipments: stock out at valuation cost (COGS via the stock move) and the revenue posting, once per key."""

from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.sales import PricedLine, ShipRequest, ShipResult, StockLoss, SubstituteRequest
from ports.carrier import ParcelHandover, carrier_port
from ports.tax import TaxQuery, line_tax
from rules.accounts import AccountRole
from rules.order_pricing import line_amounts, shipped_share
from rules.posting_rules import sale_shipped
from services import ledger, open_items, stock
from services.errors import NotFound
from services.events import emit, skus
from services.ledger import LineIn
from services.sales_orders import insert_line, order_row


def _existing(session: Session, key: str) -> ShipResult | None:
    row = (
        session.connection()
        .execute(
            text("SELECT id, revenue_net, discount, tax, cost FROM shipment WHERE shipment_key = :k"),
            {"k": key},
        )
        .first()
    )
    if row is None:
        return None
    gross, disc, tax, cost = (Decimal(v) for v in row[1:])
    return ShipResult(
        shipment_id=int(row[0]), gross=gross, discount=disc, tax=tax, cost=cost, due=gross - disc + tax
    )


def ship(session: Session, req: ShipRequest) -> ShipResult:
    """Issue each line's reserved stock (consuming the reservation), then post revenue, discount and tax."""
    done = _existing(session, req.shipment_key)
    if done is not None:
        return done
    order = order_row(session, req.order_number)
    carrier, tracking = req.carrier, req.tracking
    if req.tracking is not None:
        # The carrier port checks the tracking number and records the booking (label) once per shipment key.
        booking = carrier_port().book(
            session,
            ParcelHandover(
                key=req.shipment_key,
                carrier=req.carrier,
                tracking=req.tracking,
                document_type="sales_order",
                document_id=req.order_number,
                service=req.service,
            ),
        )
        # The tracking number as the carrier prints it; the carrier name stays as the warehouse sent it.
        tracking = booking.tracking
    currency = str(order["currency"])
    gross = disc = tax = cost = Decimal(0)
    moved: list[tuple[int, Decimal, Decimal, int]] = []
    for line in req.lines:
        # The stock move posts Dr COGS / Cr Inventory at valuation cost itself; the revenue entry has no COGS.
        out = stock.move(
            session,
            stock.MoveIn(
                item_id=line.item_id,
                location_id=req.location_id,
                qty=-line.qty,
                reason="sale",
                source_type="sales_order",
                source_id=req.order_number,
                idempotency_key=f"{req.shipment_key}:line:{line.line_no}",
                posting_date=req.shipped_on,
                offset_account=AccountRole.COGS,
                consume_reservation_key=line.reservation_key,
            ),
        )
        row = (
            session.connection()
            .execute(
                text(
                    """
                SELECT qty, gross, discount, tax, qty_shipped FROM sales_order_line
                 WHERE order_id = :o AND line_no = :ln FOR UPDATE
                """
                ),
                {"o": order["id"], "ln": line.line_no},
            )
            .one()
        )
        qty, l_gross, l_disc, l_tax, before = (Decimal(v) for v in row)
        gross += shipped_share(l_gross, qty, before, line.qty, currency)
        disc += shipped_share(l_disc, qty, before, line.qty, currency)
        tax += shipped_share(l_tax, qty, before, line.qty, currency)
        cost += -out.value
        moved.append((line.line_no, line.qty, -out.value, out.move_id))
        session.connection().execute(
            text(
                """
                UPDATE sales_order_line SET qty_shipped = qty_shipped + :q,
                       status = CASE WHEN qty_shipped + :q + qty_cancelled >= qty THEN 'shipped' ELSE status END
                 WHERE order_id = :o AND line_no = :ln
                """
            ),
            {"q": line.qty, "o": order["id"], "ln": line.line_no},
        )
    draft = sale_shipped(gross, disc, tax, Decimal(0), currency)
    entry = ledger.post(
        session,
        ledger.PostingRequest(
            entity_id=int(order["entity_id"]),
            idempotency_key=f"{req.shipment_key}:revenue",
            posting_date=req.shipped_on,
            source_type="sales_order",
            source_id=req.order_number,
            currency=currency,
            memo=f"order {req.order_number} shipped",
            lines=[
                LineIn(
                    d.role,
                    d.amount,
                    d.memo,
                    partner_type="order" if d.role == AccountRole.AR else None,
                    partner_id=req.order_number if d.role == AccountRole.AR else None,
                )
                for d in draft.lines
            ],
        ),
    )
    open_items.record(session, entry.entry_id, "shipment", req.shipment_key)
    shipment_id = int(
        session.connection()
        .execute(
            text(
                """
            INSERT INTO shipment (order_id, shipment_key, location_id, carrier, tracking, shipped_on, revenue_net,
                                  discount, tax, cost, journal_entry_id)
            VALUES (:o, :k, :l, :c, :t, :d, :g, :disc, :tax, :cost, :je) RETURNING id
            """
            ),
            {
                "o": order["id"],
                "k": req.shipment_key,
                "l": req.location_id,
                "c": carrier,
                "t": tracking,
                "d": req.shipped_on,
                "g": gross,
                "disc": disc,
                "tax": tax,
                "cost": cost,
                "je": entry.entry_id,
            },
        )
        .scalar_one()
    )
    for line_no, qty, line_cost, move_id in moved:
        session.connection().execute(
            text(
                "INSERT INTO shipment_line (shipment_id, line_no, qty, cost, stock_move_id) VALUES (:s, :ln, :q, :c, :m)"
            ),
            {"s": shipment_id, "ln": line_no, "q": qty, "c": line_cost, "m": move_id},
        )
    sku = skus(session, (line.item_id for line in req.lines))
    emit(
        session,
        event_type="sales_order.shipped",
        key=f"so:{req.order_number}:shipment:{req.shipment_key}",
        entity_id=int(order["entity_id"]),
        document_type="sales_order",
        document_id=req.order_number,
        data={
            "order_number": req.order_number,
            "shipment_key": req.shipment_key,
            "carrier": carrier,
            "tracking": tracking,
            "shipped_on": req.shipped_on.isoformat(),
            "lines": [
                {
                    "line_no": line.line_no,
                    "item_id": line.item_id,
                    "sku": sku.get(line.item_id),
                    "qty": str(line.qty),
                    "location_id": req.location_id,
                }
                for line in req.lines
            ],
        },
    )
    return ShipResult(
        shipment_id=shipment_id, gross=gross, discount=disc, tax=tax, cost=cost, due=gross - disc + tax
    )


def write_off_loss(session: Session, loss: StockLoss) -> Decimal:
    """Take missing (shrinkage) or damaged (write-off) units out of stock at valuation cost; returns the value."""
    on_hand = (
        session.connection()
        .execute(
            text("SELECT on_hand - reserved FROM stock_balance WHERE item_id = :i AND location_id = :l"),
            {"i": loss.item_id, "l": loss.location_id},
        )
        .scalar()
    )
    # Never take out units other orders hold: the count is corrected by what is free at most.
    qty = min(loss.qty, Decimal(on_hand or 0))
    if qty <= 0:
        return Decimal(0)
    offset = AccountRole.SHRINKAGE if loss.reason == "short_pick" else AccountRole.WRITE_OFF
    out = stock.move(
        session,
        stock.MoveIn(
            item_id=loss.item_id,
            location_id=loss.location_id,
            qty=-qty,
            reason=loss.reason,
            source_type="sales_order",
            source_id=loss.order_number,
            idempotency_key=loss.key,
            posting_date=loss.posting_date,
            offset_account=offset,
        ),
    )
    return -out.value


def substitute(session: Session, req: SubstituteRequest) -> PricedLine:
    """Add a line for another SKU at the original unit price (and its share of the discount)."""
    order = order_row(session, req.order_number)
    item = (
        session.connection()
        .execute(text("SELECT id, sku, tax_class FROM item WHERE sku = :s AND NOT archived"), {"s": req.sku})
        .first()
    )
    if item is None:
        raise NotFound("payload.sku", f"no active item with SKU {req.sku!r}")
    orig = (
        session.connection()
        .execute(
            text(
                """
            SELECT l.qty, l.unit_price, l.discount, o.ship_to_region, o.order_date FROM sales_order_line l
              JOIN sales_order o ON o.id = l.order_id WHERE l.order_id = :o AND l.line_no = :ln
            """
            ),
            {"o": order["id"], "ln": req.line_no},
        )
        .one()
    )
    currency = str(order["currency"])
    disc = shipped_share(Decimal(orig[2]), Decimal(orig[0]), Decimal(0), req.qty, currency)
    amounts = line_amounts(f"line {req.new_line_no}", req.qty, Decimal(orig[1]), disc, Decimal(0), currency)
    # The substitute's own tax class, at the order's region and date: no rate refuses the substitution.
    taxed = line_tax(
        session, "payload.sku", req.sku, TaxQuery(orig[3], item[2], orig[4], amounts.net, currency)
    )
    line = PricedLine(
        line_no=req.new_line_no,
        item_id=int(item[0]),
        sku=str(item[1]),
        qty=req.qty,
        unit_price=Decimal(orig[1]),
        gross=amounts.gross,
        discount=amounts.discount,
        tax_rate=taxed.rate,
        tax=taxed.tax,
        substitute_for=req.line_no,
    )
    insert_line(session, int(order["id"]), line)
    return line
