"""The operations lead's radar on 3 November 2031: each kind of exception shows up, with its count and age,
as soon as it exists, and leaves the radar once it is dealt with."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from models.close import CloseDifference, CloseRun
from models.foresight import StockMinimum
from models.master import Entity
from models.purchasing import InboundException, PurchaseOrder, SupplierInvoice
from models.returns import ReturnAlert
from models.sales import SalesOrder, SalesOrderLine
from models.stock import StockBalance
from models.tasks import Task
from services.foresight.radar import radar
from tests.factories import Factory

AS_OF = date(2031, 11, 3)
NOW = datetime(2031, 11, 3, 12, tzinfo=UTC)


@dataclass
class Shop:
    """A fresh entity with one of everything the plants need."""

    entity: Entity
    factory: Factory
    engine: Engine

    def __post_init__(self) -> None:
        f, e = self.factory, self.entity
        self.loc = f.location(e)
        self.item = f.item()
        self.supplier = f.supplier()
        self.customer = f.customer()
        self.channel = f.channel(e, "marketplace")
        assert (
            e.id
            and self.loc.id
            and self.item.id
            and self.supplier.id
            and self.customer.id
            and self.channel.id
        )
        self.eid, self.lid, self.iid, self.sid, self.cid = (
            e.id,
            self.loc.id,
            self.item.id,
            self.supplier.id,
            self.customer.id,
        )
        self.chid = self.channel.id

    def add(self, *rows: Any) -> Any:
        with Session(self.engine, expire_on_commit=False) as s:
            for r in rows:
                s.add(r)
                s.flush()
            s.commit()
        return rows[-1]

    def sql(self, sql: str, **params: Any) -> None:
        with self.engine.begin() as c:
            c.execute(text(sql), params)

    def po(self) -> PurchaseOrder:
        return self.add(  # type: ignore[no-any-return]
            PurchaseOrder(
                number=f"{self.entity.code}-PO", workflow_id="w", entity_id=self.eid, supplier_id=self.sid,
                currency="EUR", stage="delayed", requested_by="bea", order_date=date(2031, 10, 1),
                expected_date=date(2031, 10, 29), payment_terms="NET30",
            )
        )  # fmt: skip

    def order(self, status: str = "backordered") -> SalesOrder:
        return self.add(  # type: ignore[no-any-return]
            SalesOrder(
                number=f"{self.entity.code}-SO", workflow_id="w", entity_id=self.eid, channel_id=self.chid,
                customer_id=self.cid, external_id="x", ship_to_region="DE", currency="EUR",
                payment_method="card", order_date=date(2031, 10, 20), status=status, created_by="sam",
            )
        )  # fmt: skip


def _delay(shop: Shop) -> Callable[[], None]:
    po = shop.po()
    assert po.id is not None
    x = shop.add(
        InboundException(idempotency_key=f"{po.number}:delay", po_id=po.id, expected_date=date(2031, 10, 29),
                         raised_on=date(2031, 10, 31))
    )  # fmt: skip
    return lambda: shop.sql("UPDATE inbound_exception SET status = 'resolved' WHERE id = :i", i=x.id)


def _match(shop: Shop) -> Callable[[], None]:
    po = shop.po()
    assert po.id is not None
    inv = shop.add(
        SupplierInvoice(supplier_id=shop.sid, invoice_number=f"{po.number}-I", po_id=po.id, entity_id=shop.eid,
                        invoice_date=date(2031, 10, 24), currency="EUR", net=D(100), tax=D(19), status="exception",
                        entered_by="ada")
    )  # fmt: skip
    return lambda: shop.sql("UPDATE supplier_invoice SET status = 'matched' WHERE id = :i", i=inv.id)


def _backorder(shop: Shop) -> Callable[[], None]:
    o = shop.order()
    assert o.id is not None
    shop.add(
        SalesOrderLine(order_id=o.id, line_no=1, item_id=shop.iid, qty=D(2), unit_price=D(50), gross=D(100),
                       tax_rate=D("0.19"), qty_backordered=D(2), promised_date=date(2031, 10, 31), status="backordered")
    )  # fmt: skip
    return lambda: shop.sql(
        "UPDATE sales_order_line SET qty_shipped = 2, qty_backordered = 0, status = 'shipped' WHERE order_id = :o",
        o=o.id,
    )


def _sla(shop: Shop) -> Callable[[], None]:
    t = shop.add(
        Task(task_key=f"{shop.entity.code}:approval", kind="po_approval", workflow_id="w", workflow_type="PurchaseOrder",
             subject_type="purchase_order", subject_id="PO-1", entity_id=shop.eid, title="Approve PO-1",
             candidate_role="approver", due_at=NOW - timedelta(days=2, hours=1))
    )  # fmt: skip
    return lambda: shop.sql("UPDATE task SET status = 'decided' WHERE id = :i", i=t.id)


def _difference(shop: Shop) -> Callable[[], None]:
    run = shop.add(
        CloseRun(entity_id=shop.eid, period="2031-10", workflow_id="w", status="awaiting_signoff",
                 started_at=NOW - timedelta(days=1))
    )  # fmt: skip
    t = shop.add(
        Task(task_key=f"{shop.entity.code}:diff", kind="close_difference", workflow_id="w", workflow_type="MonthEndClose",
             subject_type="period_close", subject_id="2031-10", entity_id=shop.eid, candidate_role="controller")
    )  # fmt: skip
    shop.add(
        CloseDifference(run_id=run.id, check_name="stock_vs_gl", subledger=D(874), control=D(892),
                        difference=D(-18),
            created_at=NOW - timedelta(days=1), task_id=t.id)
    )  # fmt: skip
    return lambda: shop.sql("UPDATE task SET status = 'decided', decision = 'accept' WHERE id = :i", i=t.id)


def _stuck(shop: Shop) -> Callable[[], None]:
    # The PO workflow parked on a step that failed for good: the admin's task is on the radar until decided.
    t = shop.add(
        Task(task_key=f"{shop.entity.code}:attention", kind="needs_attention", workflow_id="w",
             workflow_type="PurchaseOrder", subject_type="purchase_order", subject_id="PO-1", entity_id=shop.eid,
             title="PO PO-1 needs attention: step PurchasingActivities.issue failed", candidate_role="admin",
             details={"step": "PurchasingActivities.issue", "error": "violates check constraint"},
             created_at=NOW - timedelta(days=1, hours=2))
    )  # fmt: skip
    return lambda: shop.sql("UPDATE task SET status = 'decided', decision = 'retry' WHERE id = :i", i=t.id)


def _spike(shop: Shop) -> Callable[[], None]:
    shop.add(
        ReturnAlert(alert_key=f"{shop.entity.code}:spike", entity_id=shop.eid, item_id=shop.iid, sku=shop.item.sku,
                    channel_id=shop.chid, window_days=30, sold=D(4), returned=D(2), rate=D("0.5"),
                    threshold=D("0.25"), raised_on=date(2031, 11, 1), rma_number="RMA-1")
    )  # fmt: skip
    # Alerts are facts of a day: a spike leaves the radar a week after the last one.
    return lambda: None


def _below(shop: Shop) -> Callable[[], None]:
    shop.add(
        StockBalance(item_id=shop.iid, location_id=shop.lid, entity_id=shop.eid, on_hand=D(5), reserved=D(2))
    )
    shop.add(StockMinimum(item_id=shop.iid, location_id=shop.lid, min_qty=D(10), updated_by="bea"))
    return lambda: shop.sql(
        "UPDATE stock_balance SET on_hand = 20 WHERE item_id = :i AND location_id = :l",
        i=shop.iid,
        l=shop.lid,
    )


def _margin(shop: Shop) -> Callable[[], None]:
    # 1 unit sold for 10.00 net while it costs 15.00 on average.
    shop.add(
        StockBalance(item_id=shop.iid, location_id=shop.lid, entity_id=shop.eid, on_hand=D(10), value=D(150))
    )
    o = shop.order("allocated")
    assert o.id is not None
    shop.add(
        SalesOrderLine(order_id=o.id, line_no=1, item_id=shop.iid, qty=D(1), unit_price=D(12), gross=D(12),
                       discount=D(2), tax_rate=D("0.19"))
    )  # fmt: skip
    return lambda: shop.sql("UPDATE sales_order SET status = 'cancelled' WHERE id = :o", o=o.id)


PLANTS: dict[str, tuple[Callable[[Shop], Callable[[], None]], int]] = {
    "supplier_delays": (_delay, 5),
    "match_exceptions": (_match, 10),
    "backorders_past_promise": (_backorder, 3),
    "approvals_past_sla": (_sla, 2),
    "needs_attention": (_stuck, 1),
    "reconciliation_differences": (_difference, 1),
    "return_spikes": (_spike, 2),
    "below_safety_stock": (_below, 0),
    "negative_margin_orders": (_margin, 14),
}


def _counts(engine: Engine, entity_id: int, as_of: date = AS_OF) -> dict[str, Any]:
    with Session(engine) as s:
        body = radar(s, entity_id, as_of, NOW + (as_of - AS_OF))
    return {c["category"]: c for c in body["categories"]}


@pytest.mark.parametrize("category", list(PLANTS))
def test_a_planted_exception_appears_with_its_age_and_leaves_when_resolved(
    category: str, engine: Engine, factory: Factory
) -> None:
    shop = Shop(factory.entity(), factory, engine)
    plant, age = PLANTS[category]
    assert {c: v["count"] for c, v in _counts(engine, shop.eid).items()} == dict.fromkeys(PLANTS, 0)
    resolve = plant(shop)
    seen = _counts(engine, shop.eid)
    assert {c: v["count"] for c, v in seen.items()} == {c: int(c == category) for c in PLANTS}
    assert seen[category]["oldest_age_days"] == age
    resolve()
    later = AS_OF + timedelta(days=8) if category == "return_spikes" else AS_OF
    assert _counts(engine, shop.eid, later)[category]["count"] == 0


def test_the_radar_through_the_api(engine: Engine, factory: Factory, api: TestClient) -> None:
    shop = Shop(factory.entity(), factory, engine)
    _delay(shop)
    _, token = factory.user("buyer", entities=(shop.entity,))
    got = api.get(
        f"/foresight/radar?entity_id={shop.eid}&as_of=2031-11-03",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["total"] == 1
    [delays] = [c for c in body["categories"] if c["category"] == "supplier_delays"]
    assert delays["records"][0]["id"] == f"{shop.entity.code}-PO" and delays["records"][0]["age_days"] == 5
