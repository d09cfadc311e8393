"""The returns desk of the test retailer: shipped orders (through the order API or the order workflow),
return requests, receipts, and the numbers a controller checks afterwards."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.client import Client

from models.contracts.returns import RefundMethod, ReturnInput
from models.contracts.sales import WarehouseEvent
from services.core.invariants import check_books
from services.returns.intake import ReturnAsk, build_return, next_rma_number
from services.sales.intake import Caller
from tests.factories import Factory
from tests.sales.shop import Shop, bearer, open_shop, order_body, priced_order
from workflows.sales.order import OrderWorkflow

D = Decimal


@dataclass
class Desk:
    """A shop plus the people of its returns desk: a second sales-ops user approves what the first raises."""

    shop: Shop
    approver: str


def open_desk(factory: Factory, *, tax: str = "0.19", payment_provider: str = "ledger") -> Desk:
    """A shop with a second sales-ops user (the approver)."""
    shop = open_shop(factory, tax=tax, payment_provider=payment_provider)
    _, approver = factory.user("sales_ops", entities=(shop.entity,))
    return Desk(shop, approver)


def ship_through_api(api: TestClient, shop: Shop, lines: list[dict[str, Any]], **kw: Any) -> str:
    """Order on the web channel and ship everything from the first warehouse; returns the order number."""
    created = api.post("/orders", json=order_body(shop, shop.web, lines, **kw), headers=bearer(shop.sales))
    assert created.status_code == 201, created.text
    number = str(created.json()["order_number"])
    shipped = api.post(
        f"/orders/{number}/warehouse-events",
        json={"kind": "shipped", "location_id": shop.wh1.id, "carrier": "DHL", "tracking": "1234567891"},
        headers=bearer(shop.warehouse),
    )
    assert shipped.status_code == 200 and shipped.json()["stage"] == "closed", shipped.text
    return number


async def ship_through_workflow(
    client: Client,
    task_queue: str,
    engine: Engine,
    shop: Shop,
    sku: str,
    qty: str,
    *,
    payment_reference: str | None = None,
) -> str:
    """A web order run by the order workflow on a given task queue and shipped from the first warehouse."""
    order = priced_order(engine, shop, [(sku, qty)], payment_reference=payment_reference)
    handle = await client.start_workflow(
        OrderWorkflow.run, order, id=f"Order-{order.order_number}", task_queue=task_queue
    )
    await handle.execute_update(OrderWorkflow.sync)
    await handle.execute_update(
        OrderWorkflow.warehouse_event,
        WarehouseEvent(kind="shipped", location_id=shop.wh1.id or 0, carrier="DHL"),
    )
    assert (await handle.result()).stage == "closed"
    return order.order_number


@dataclass
class AskLine:
    """One returned order line as a caller asks for it."""

    line_no: int
    qty: Decimal
    reason_code: str = "defective"
    serials: list[str] = field(default_factory=list)


def return_input(
    engine: Engine,
    shop: Shop,
    order_number: str,
    lines: list[tuple[int, str]],
    *,
    refund_method: RefundMethod = "original",
) -> ReturnInput:
    """An RMA validated exactly as POST /returns does (for tests that start return workflows directly)."""
    asks = [AskLine(n, D(q)) for n, q in lines]
    caller = Caller(username="counter", entity_ids=frozenset({shop.entity.id or 0}), may_override_floor=False)
    with Session(engine) as s:
        rma = build_return(
            s,
            ReturnAsk(order_number=order_number, refund_method=refund_method, lines=asks),
            caller,
            date.today(),
            next_rma_number(s),
        )
        s.commit()
    return rma


def raise_return(
    api: TestClient, token: str, order_number: str, lines: list[dict[str, Any]], **kw: Any
) -> Any:
    """POST /returns; returns the response."""
    return api.post(
        "/returns", json={"order_number": order_number, "lines": lines, **kw}, headers=bearer(token)
    )


def returned_and_received(api: TestClient, shop: Shop, order_number: str) -> str:
    """The customer sends line 1 (one unit) back and the warehouse restocks it, which refunds it; the RMA number."""
    raised = raise_return(
        api, shop.sales, order_number, [{"line_no": 1, "qty": "1", "reason_code": "defective"}]
    )
    assert raised.status_code == 201, raised.text
    rma = str(raised.json()["rma_number"])
    received = api.post(
        f"/returns/{rma}/receipt",
        json={"parts": [{"line_no": 1, "qty": "1", "disposition": "restock"}]},
        headers=bearer(shop.warehouse),
    )
    assert received.status_code == 200, received.text
    return rma


def return_stage(api: TestClient, shop: Shop, rma: str) -> str:
    """The return's stage as sales ops see it."""
    return str(api.get(f"/returns/{rma}", headers=bearer(shop.sales)).json()["stage"])


def failed_refund_task(api: TestClient, shop: Shop, rma: str) -> int | None:
    """The open task of the return's refund the provider refused, as sales ops see it in their inbox."""
    tasks = api.get("/tasks", headers=bearer(shop.sales)).json()
    return next(
        (int(t["id"]) for t in tasks if t["kind"] == "refund_failed" and t["subject_id"] == rma), None
    )


def totals(engine: Engine, rma: str, order_number: str) -> dict[str, Decimal]:
    """Sum per account role of everything the return posted (goods, credit note, refund), debit > 0."""
    with engine.connect() as c:
        rows = c.execute(
            text(
                """
            SELECT a.role, sum(l.amount) FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id
              JOIN account a ON a.id = l.account_id
             WHERE (e.source_type = 'return' AND e.source_id = :r) OR e.idempotency_key LIKE :k GROUP BY a.role
            """
            ),
            {"r": rma, "k": f"return:{rma}:%"},
        ).all()
    return {str(r[0]): D(r[1]) for r in rows if D(r[1]) != 0}


def stock_at(engine: Engine, item_id: int | None, location_id: int | None) -> tuple[Decimal, Decimal]:
    """(on_hand, value) of an item at a location."""
    with engine.connect() as c:
        row = c.execute(
            text("SELECT on_hand, value FROM stock_balance WHERE item_id = :i AND location_id = :l"),
            {"i": item_id, "l": location_id},
        ).first()
    return (D(row[0]), D(row[1])) if row else (D(0), D(0))


def books_consistent(engine: Engine, shop: Shop) -> bool:
    """Stock ledger == balances == inventory GL, and the GL balances, for the shop's entity."""
    with Session(engine) as s:
        return check_books(s, shop.entity.id or 0).consistent


def count(engine: Engine, sql: str, **params: object) -> int:
    """One count from the database."""
    with engine.connect() as c:
        return int(c.execute(text(sql), params).scalar() or 0)
