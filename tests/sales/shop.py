"""A small retailer for the sales scenarios: warehouses, a store, web/marketplace/POS channels, prices, tax."""

import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from api.schemas.sales import OrderLineBody
from models.contracts.sales import OrderInput, PaymentMethod
from models.master import Channel, Customer, Entity, Item, Location, TaxRate
from models.purchasing import PurchaseOrder, PurchaseOrderLine
from models.sales import ChannelPrice, Promotion
from rules.accounts import AccountRole
from services.core import stock
from services.sales.intake import Caller, OrderAsk, price_order
from tests.factories import Factory

D = Decimal


def bearer(token: str) -> dict[str, str]:
    """Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


def follow_command(api: TestClient, url: str, token: str) -> dict[str, Any]:
    """Read a command's URL (as the client that sent it) until it has an outcome; 30 s at most."""
    for _ in range(300):
        answer = api.get(url, headers=bearer(token))
        assert answer.status_code == 200, answer.text
        if answer.json()["status"] != "pending":
            return dict(answer.json())
        time.sleep(0.1)
    raise AssertionError(f"{url} stayed pending")


@dataclass
class Shop:
    """Master data of one test retailer (unique codes, its own tax region)."""

    entity: Entity
    wh1: Location
    wh2: Location
    store: Location
    web: Channel
    market: Channel
    pos: Channel
    customer: Customer
    region: str
    sales: str
    warehouse: str
    controller: str
    items: dict[str, Item] = field(default_factory=dict)


def open_shop(
    factory: Factory,
    *,
    tax: str = "0.19",
    market_share: Decimal | None = None,
    payment_provider: str = "ledger",
    entity: Entity | None = None,
    sells_in: str | None = None,
) -> Shop:
    """Entity (a new one unless given) with two warehouses and a store, three channels, a customer, users,
    and a sales tax rate; the web shop and the marketplace sell in `sells_in` when given (else the entity's
    currency)."""
    entity = entity or factory.entity()
    wh1, wh2 = factory.location(entity), factory.location(entity)
    store = factory.location(entity, kind="store")
    currency = sells_in or entity.currency
    web = factory.channel(entity, "web", payment_provider=payment_provider, currency=currency)
    market = factory.channel(entity, "marketplace", max_share_pct=market_share, currency=currency)
    pos = factory.channel(entity, "pos", store_location_id=store.id)
    region = f"R{uuid.uuid4().hex[:6]}"
    customer = factory.customer(region=region)
    with Session(factory.engine) as s:
        s.add(TaxRate(region=region, tax_class="standard", rate=D(tax), valid_from=date(2000, 1, 1)))
        s.commit()
    _, sales = factory.user("sales_ops", entities=(entity,))
    _, wh = factory.user("warehouse", entities=(entity,))
    _, ctl = factory.user("controller", entities=(entity,))
    return Shop(entity, wh1, wh2, store, web, market, pos, customer, region, sales, wh, ctl)


def add_item(factory: Factory, shop: Shop, name: str, price: str, *, floor: str | None = None) -> Item:
    """An item priced on every channel of the shop."""
    item = factory.item(price_floor=D(floor) if floor else None)
    with Session(factory.engine) as s:
        for ch in (shop.web, shop.market, shop.pos):
            assert ch.id is not None and item.id is not None
            s.add(
                ChannelPrice(
                    channel_id=ch.id,
                    item_id=item.id,
                    price=D(price),
                    currency="EUR",
                    valid_from=date(2000, 1, 1),
                )
            )
        s.commit()
    shop.items[name] = item
    return item


def add_promotion(engine: Engine, percent: str) -> str:
    """A promotion valid on every channel; returns its code."""
    code = f"P{uuid.uuid4().hex[:6]}"
    with Session(engine) as s:
        s.add(Promotion(code=code, percent_off=D(percent), valid_from=date(2000, 1, 1)))
        s.commit()
    return code


def receive(engine: Engine, item: Item, location: Location, qty: str, cost: str) -> None:
    """Put stock on hand at a unit cost (as a goods receipt would)."""
    assert item.id is not None and location.id is not None
    with Session(engine) as s:
        stock.move(
            s,
            stock.MoveIn(
                item_id=item.id,
                location_id=location.id,
                qty=D(qty),
                unit_cost=D(cost),
                reason="receipt",
                source_type="test",
                source_id=item.sku,
                idempotency_key=f"test:rcv:{uuid.uuid4().hex}",
                posting_date=date.today(),
                offset_account=AccountRole.GRNI,
            ),
        )
        s.commit()


def order_body(shop: Shop, channel: Channel, lines: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    """A POST /orders body with a fresh external id."""
    return {
        "channel": channel.code,
        "external_id": kw.pop("external_id", uuid.uuid4().hex[:10]),
        "customer": shop.customer.code,
        "lines": lines,
        **kw,
    }


def balance(engine: Engine, item: Item, location: Location) -> tuple[Decimal, Decimal]:
    """(on_hand, reserved) of an item at a location."""
    with engine.connect() as c:
        row = c.execute(
            text("SELECT on_hand, reserved FROM stock_balance WHERE item_id = :i AND location_id = :l"),
            {"i": item.id, "l": location.id},
        ).first()
    return (D(row[0]), D(row[1])) if row else (D(0), D(0))


def account_totals(engine: Engine, number: str) -> dict[str, Decimal]:
    """Sum of the order's postings per account role (debit > 0)."""
    with engine.connect() as c:
        rows = c.execute(
            text(
                """
            SELECT a.role, sum(l.amount) FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id
              JOIN account a ON a.id = l.account_id
             WHERE e.source_type = 'sales_order' AND e.source_id = :n GROUP BY a.role
            """
            ),
            {"n": number},
        ).all()
    return {str(r[0]): D(r[1]) for r in rows if D(r[1]) != 0}


def active_reservations(engine: Engine, number: str) -> Decimal:
    """Quantity the order holds in active reservations."""
    with engine.connect() as c:
        return D(
            c.execute(
                text(
                    "SELECT COALESCE(sum(qty), 0) FROM reservation WHERE source_id = :n AND status = 'active'"
                ),
                {"n": number},
            ).scalar()
            or 0
        )


def priced_order(
    engine: Engine,
    shop: Shop,
    lines: list[tuple[str, str]],
    *,
    external_id: str | None = None,
    payment_method: PaymentMethod | None = None,
    payment_reference: str | None = None,
) -> OrderInput:
    """A web order validated and priced exactly as POST /orders does (for tests that start workflows directly)."""
    caller = Caller(username="web", entity_ids=frozenset({shop.entity.id or 0}), may_override_floor=False)
    ask = OrderAsk(
        channel=shop.web.code,
        external_id=external_id or uuid.uuid4().hex[:10],
        customer=shop.customer.code,
        ship_to_region=None,
        currency=None,
        payment_method=payment_method,
        lines=[OrderLineBody(sku=sku, qty=D(qty)) for sku, qty in lines],
        payment_reference=payment_reference,
    )
    with Session(engine) as s:
        return price_order(s, ask, caller, date.today())


def inbound_po(engine: Engine, factory: Factory, shop: Shop, item_id: int, expected: date) -> str:
    """An issued PO bringing 10 units to wh2 on `expected` (the backorder promises its date)."""
    supplier = factory.supplier()
    number = f"PO-{shop.entity.code}"
    with Session(engine) as s:
        po = PurchaseOrder(
            number=number,
            workflow_id=f"PO-{number}",
            entity_id=shop.entity.id or 0,
            supplier_id=supplier.id or 0,
            currency="EUR",
            stage="issued",
            requested_by="buyer",
            order_date=date.today(),
            expected_date=expected,
            payment_terms="NET30",
        )
        s.add(po)
        s.flush()
        s.add(
            PurchaseOrderLine(
                po_id=po.id or 0,
                line_no=1,
                item_id=item_id,
                location_id=shop.wh2.id or 0,
                qty=D(10),
                price=D("11.00"),
            )
        )
        s.commit()
    return number
