"""Shipments: stock out at valuation cost (COGS via the stock move) and the revenue posting, once per key."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.sales import PricedLine, ShipLine, ShipRequest, ShipResult, StockLoss, SubstituteRequest
from ports.carrier import ParcelHandover, carrier_port
from ports.tax import TaxQuery, line_tax
from rules.accounts import AccountRole
from rules.order_pricing import line_amounts, shipped_share
from rules.posting_rules import sale_shipped
from services.core import ledger, open_items, stock
from services.core.errors import NotFound
from services.core.events import emit, skus
from services.core.ledger import LineIn
from services.sales.orders import insert_line
from services.sales.store import order_head, sellable_item


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


@dataclass(frozen=True, slots=True)
class _ShippedLine:
    """One order line's part of a shipment: its share of the order amounts and what left stock."""

    line_no: int
    qty: Decimal
    gross: Decimal
    discount: Decimal
    tax: Decimal
    cost: Decimal
    move_id: int


@dataclass(frozen=True, slots=True)
class _Totals:
    """What a shipment invoices (its lines' shares) and its cost of goods."""

    gross: Decimal
    discount: Decimal
    tax: Decimal
    cost: Decimal

    @classmethod
    def of(cls, lines: list[_ShippedLine]) -> "_Totals":
        """The sums over the shipped lines, in line order."""
        return cls(
            gross=sum((s.gross for s in lines), Decimal(0)),
            discount=sum((s.discount for s in lines), Decimal(0)),
            tax=sum((s.tax for s in lines), Decimal(0)),
            cost=sum((s.cost for s in lines), Decimal(0)),
        )


def ship(session: Session, req: ShipRequest) -> ShipResult:
    """Issue each line's reserved stock (consuming the reservation), then post revenue, discount and tax."""
    done = _existing(session, req.shipment_key)
    if done is not None:
        return done
    order = order_head(session, req.order_number)
    order_id, entity_id, currency = order.id, order.entity_id, order.currency
    tracking = _book_parcel(session, req)
    shipped = [_ship_line(session, req, order_id, currency, line) for line in req.lines]
    totals = _Totals.of(shipped)
    entry_id = _post_revenue(session, req, entity_id, currency, totals)
    open_items.record(session, entry_id, "shipment", req.shipment_key)
    shipment_id = _insert_shipment(session, req, order_id, tracking, totals, entry_id)
    _insert_shipment_lines(session, shipment_id, shipped)
    _emit_shipped(session, req, entity_id, tracking)
    return ShipResult(
        shipment_id=shipment_id,
        gross=totals.gross,
        discount=totals.discount,
        tax=totals.tax,
        cost=totals.cost,
        due=totals.gross - totals.discount + totals.tax,
    )


def _book_parcel(session: Session, req: ShipRequest) -> str | None:
    """The tracking number to store: the carrier port's spelling when the warehouse sent one."""
    if req.tracking is None:
        return None
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
    return booking.tracking


def _ship_line(
    session: Session, req: ShipRequest, order_id: int, currency: str, line: ShipLine
) -> _ShippedLine:
    """Issue one line's reserved stock and count it shipped on the order line; returns its shares and cost."""
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
            {"o": order_id, "ln": line.line_no},
        )
        .one()
    )
    qty, l_gross, l_disc, l_tax, before = (Decimal(v) for v in row)
    session.connection().execute(
        text(
            """
                UPDATE sales_order_line SET qty_shipped = qty_shipped + :q,
                       status = CASE WHEN qty_shipped + :q + qty_cancelled >= qty THEN 'shipped' ELSE status END
                 WHERE order_id = :o AND line_no = :ln
                """
        ),
        {"q": line.qty, "o": order_id, "ln": line.line_no},
    )
    return _ShippedLine(
        line_no=line.line_no,
        qty=line.qty,
        gross=shipped_share(l_gross, qty, before, line.qty, currency),
        discount=shipped_share(l_disc, qty, before, line.qty, currency),
        tax=shipped_share(l_tax, qty, before, line.qty, currency),
        cost=-out.value,
        move_id=out.move_id,
    )


def _post_revenue(session: Session, req: ShipRequest, entity_id: int, currency: str, totals: _Totals) -> int:
    """Post revenue, discount and tax against the order's receivable once per shipment; returns the entry id."""
    draft = sale_shipped(totals.gross, totals.discount, totals.tax, Decimal(0), currency)
    entry = ledger.post(
        session,
        ledger.PostingRequest(
            entity_id=entity_id,
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
    return entry.entry_id


def _insert_shipment(
    session: Session, req: ShipRequest, order_id: int, tracking: str | None, totals: _Totals, entry_id: int
) -> int:
    """The shipment row with its amounts and revenue entry; returns its id."""
    return int(
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
                "o": order_id,
                "k": req.shipment_key,
                "l": req.location_id,
                "c": req.carrier,
                "t": tracking,
                "d": req.shipped_on,
                "g": totals.gross,
                "disc": totals.discount,
                "tax": totals.tax,
                "cost": totals.cost,
                "je": entry_id,
            },
        )
        .scalar_one()
    )


def _insert_shipment_lines(session: Session, shipment_id: int, shipped: list[_ShippedLine]) -> None:
    """One shipment line per order line, pointing at its stock move."""
    for s in shipped:
        session.connection().execute(
            text(
                "INSERT INTO shipment_line (shipment_id, line_no, qty, cost, stock_move_id) VALUES (:s, :ln, :q, :c, :m)"
            ),
            {"s": shipment_id, "ln": s.line_no, "q": s.qty, "c": s.cost, "m": s.move_id},
        )


def _emit_shipped(session: Session, req: ShipRequest, entity_id: int, tracking: str | None) -> None:
    """The sales_order.shipped event, once per shipment."""
    sku = skus(session, (line.item_id for line in req.lines))
    emit(
        session,
        event_type="sales_order.shipped",
        key=f"so:{req.order_number}:shipment:{req.shipment_key}",
        entity_id=entity_id,
        document_type="sales_order",
        document_id=req.order_number,
        data={
            "order_number": req.order_number,
            "shipment_key": req.shipment_key,
            "carrier": req.carrier,
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
    order = order_head(session, req.order_number)
    item = sellable_item(session, req.sku)
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
            {"o": order.id, "ln": req.line_no},
        )
        .one()
    )
    currency = order.currency
    disc = shipped_share(Decimal(orig[2]), Decimal(orig[0]), Decimal(0), req.qty, currency)
    amounts = line_amounts(f"line {req.new_line_no}", req.qty, Decimal(orig[1]), disc, Decimal(0), currency)
    # The substitute's own tax class, at the order's region and date: no rate refuses the substitution.
    taxed = line_tax(
        session, "payload.sku", req.sku, TaxQuery(orig[3], item.tax_class, orig[4], amounts.net, currency)
    )
    line = PricedLine(
        line_no=req.new_line_no,
        item_id=item.id,
        sku=item.sku,
        qty=req.qty,
        unit_price=Decimal(orig[1]),
        gross=amounts.gross,
        discount=amounts.discount,
        tax_rate=taxed.rate,
        tax=taxed.tax,
        substitute_for=req.line_no,
    )
    insert_line(session, order.id, line)
    return line
