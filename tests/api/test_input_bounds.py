"""Nothing the API accepts can wedge a workflow: a quantity that rounds to zero, a number too large for its
column, NaN, a date in 1900 or 9999, an overlong text, too many lines, an unknown currency, a receipt dated
before its PO, a backorder decision with days "abc" -- each is refused with a 422 naming the field, and
nothing is written. The order and the backordered order keep working afterwards."""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.main import create_app
from models.master import FiscalPeriod
from models.purchasing import PurchaseOrder, PurchaseOrderLine
from rules.periods import period_of
from tests.api.loc import field_path
from tests.factories import Factory
from tests.purchasing.buyer_desk import open_desk, po_body
from tests.sales.shop import add_item, bearer, open_shop, order_body, priced_order, receive
from worker import build_worker
from workflows.sales.order import OrderWorkflow

D = Decimal
TODAY = date.today()
TINY = "0.000000000000000000000000000001"


def _count(engine: Engine, sql: str, **params: Any) -> int:
    with engine.connect() as c:
        return int(c.execute(text(sql), params).scalar_one())


def _refused(answer: httpx.Response, field: str) -> None:
    """A 422 whose first error names `field` (pydantic's parts or a rule's dotted path)."""
    assert answer.status_code == 422, (field, answer.status_code, answer.text)
    named = [field_path(e["loc"]) for e in answer.json()["detail"]]
    assert field in named, (field, named)


@dataclass
class IssuedPo:
    """A PO row, its entity and supplier, and a token of someone who receives and enters invoices."""

    number: str
    entity_id: int
    supplier_id: int
    token: str


def _issued_po(engine: Engine, factory: Factory, ordered: date) -> IssuedPo:
    """An issued PO row of a fresh buying desk (every refusal here comes before its workflow is asked)."""
    desk = open_desk(factory)
    number = f"B{uuid.uuid4().hex[:10]}"
    with Session(engine) as s:
        po = PurchaseOrder(
            number=number,
            workflow_id=f"PO-{number}",
            entity_id=desk.entity.id or 0,
            supplier_id=desk.supplier.id or 0,
            currency="EUR",
            stage="issued",
            requested_by="buyer",
            order_date=ordered,
            expected_date=ordered + timedelta(days=7),
            payment_terms="NET30",
        )
        s.add(po)
        s.flush()
        s.add(
            PurchaseOrderLine(
                po_id=po.id or 0,
                line_no=1,
                item_id=desk.item.id or 0,
                location_id=desk.warehouse.id or 0,
                qty=D(10),
                price=D("10.00"),
            )
        )
        s.commit()
    _, token = factory.user("warehouse", "ap_clerk", entities=(desk.entity,))
    return IssuedPo(number, desk.entity.id or 0, desk.supplier.id or 0, token)


def test_a_requisition_out_of_bounds_creates_no_po(
    api: TestClient, temporal_dev: WorkflowEnvironment, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    headers = bearer(desk.token("buyer"))
    line = {"item_id": desk.item.id, "location_id": desk.warehouse.id, "qty": "5"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"lines": [{**line, "qty": TINY}]}, "lines[0].qty"),  # rounds to 0 in NUMERIC(18,4)
        ({"lines": [{**line, "qty": "0.00001"}]}, "lines[0].qty"),  # a fifth decimal place
        ({"lines": [{**line, "qty": "1e30"}]}, "lines[0].qty"),  # overflows NUMERIC(18,4)
        ({"lines": [{**line, "qty": "NaN"}]}, "lines[0].qty"),
        ({"lines": [{**line, "qty": "Infinity"}]}, "lines[0].qty"),
        ({"lines": [{**line, "price": "1e30"}]}, "lines[0].price"),
        ({"lines": [{**line, "price": "-1"}]}, "lines[0].price"),
        ({"landed_cost_pct": "250"}, "landed_cost_pct"),
        ({"currency": "XXY"}, "currency"),  # well-formed, but no ISO 4217 currency
        ({"order_date": "1900-01-01"}, "order_date"),
        ({"order_date": (TODAY + timedelta(days=30)).isoformat()}, "order_date"),  # not happened yet
        ({"expected_date": "9999-12-31"}, "expected_date"),
        ({"lines": [line] * 501}, "lines"),
        # Each line fits; the total (10^13) is above the 10^12 cap of every amount.
        ({"lines": [{**line, "qty": "10000000", "price": "1000000"}]}, "lines"),
    ]
    for change, field in cases:
        _refused(api.post("/purchase-orders", json={**po_body(desk), **change}, headers=headers), field)
    assert _count(engine, "SELECT count(*) FROM purchase_order WHERE entity_id = :e", e=desk.entity.id) == 0


def test_a_receipt_or_invoice_out_of_bounds_leaves_the_po_untouched(
    api: TestClient, temporal_dev: WorkflowEnvironment, engine: Engine, factory: Factory
) -> None:
    # Ordered last month, whose books are closed now.
    last_month_end = TODAY.replace(day=1) - timedelta(days=1)
    ordered = last_month_end - timedelta(days=3)
    po = _issued_po(engine, factory, ordered)
    number = po.number
    with Session(engine) as s:
        s.add(FiscalPeriod(entity_id=po.entity_id, period=period_of(last_month_end), status="closed"))
        s.commit()
    headers = bearer(po.token)
    receipt = {"delivery_note": f"DN-{number}", "lines": [{"line_no": 1, "qty": "4"}]}
    receipts: list[tuple[dict[str, Any], str]] = [
        ({"lines": [{"line_no": 1, "qty": "0.00001"}]}, "lines[0].qty"),  # would be a zero stock move
        ({"lines": [{"line_no": 1, "qty": "1e30"}]}, "lines[0].qty"),
        ({"received_on": "1900-01-01"}, "received_on"),
        ({"received_on": "9999-12-31"}, "received_on"),
        ({"received_on": (ordered - timedelta(days=1)).isoformat()}, "received_on"),  # before the PO
        ({"received_on": last_month_end.isoformat()}, "received_on"),  # a closed period
        ({"delivery_note": "N" * 81}, "delivery_note"),
        ({"lines": [{"line_no": 1, "qty": "1", "serials": ["S" * 81]}]}, "lines[0].serials[0]"),
    ]
    for change, field in receipts:
        answer = api.post(f"/purchase-orders/{number}/receipts", json={**receipt, **change}, headers=headers)
        _refused(answer, field)
    invoice = {
        "po_number": number,
        "supplier_id": po.supplier_id,
        "invoice_number": f"INV-{number}",
        "invoice_date": TODAY.isoformat(),
        "currency": "EUR",
        "lines": [{"line_no": 1, "qty": "4", "price": "10.00"}],
    }
    invoices: list[tuple[dict[str, Any], str]] = [
        ({"invoice_date": "9999-12-31"}, "invoice_date"),
        ({"invoice_date": "1900-01-01"}, "invoice_date"),
        ({"lines": [{"line_no": 1, "qty": "1e30", "price": "10.00"}]}, "lines[0].qty"),
        ({"tax": "NaN"}, "tax"),
        ({"currency": "XXY"}, "currency"),
        ({"invoice_number": "I" * 61}, "invoice_number"),
    ]
    for change, field in invoices:
        _refused(api.post("/supplier-invoices", json={**invoice, **change}, headers=headers), field)
    po_id = _count(engine, "SELECT id FROM purchase_order WHERE number = :n", n=number)
    assert _count(engine, "SELECT count(*) FROM goods_receipt WHERE po_id = :p", p=po_id) == 0
    assert _count(engine, "SELECT count(*) FROM supplier_invoice WHERE po_id = :p", p=po_id) == 0
    assert _count(engine, "SELECT count(*) FROM stock_move WHERE source_id = :n", n=number) == 0


def test_an_order_and_its_payment_out_of_bounds_are_refused_and_the_order_still_takes_a_good_payment(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    chair = add_item(factory, shop, "chair", "80.00")
    receive(engine, chair, shop.wh1, "4", "30.00")
    headers = bearer(shop.sales)
    line = {"sku": chair.sku, "qty": "2"}
    orders: list[tuple[dict[str, Any], str]] = [
        ({"lines": [{**line, "qty": "0.00001"}]}, "lines[0].qty"),
        ({"lines": [{**line, "unit_price": "1e30"}]}, "lines[0].unit_price"),
        ({"lines": [{**line, "discount": "Infinity"}]}, "lines[0].discount"),
        ({"lines": [{**line, "sku": "S" * 41}]}, "lines[0].sku"),
        ({"currency": "XXY"}, "currency"),
        ({"lines": [line] * 201}, "lines"),
    ]
    for change, field in orders:
        body = order_body(shop, shop.web, [line], payment_method="transfer")
        _refused(api.post("/orders", json={**body, **change}, headers=headers), field)
    count_orders = "SELECT count(*) FROM sales_order WHERE channel_id = :c"
    assert _count(engine, count_orders, c=shop.web.id) == 0

    created = api.post(
        "/orders", json=order_body(shop, shop.web, [line], payment_method="transfer"), headers=headers
    ).json()
    number = created["order_number"]
    assert created["stage"] == "awaiting_payment"
    payments = (
        "SELECT count(*) FROM sales_payment p JOIN sales_order o ON o.id = p.order_id WHERE o.number = :n"
    )
    before = _count(engine, payments, n=number)
    for amount in ("1e30", "NaN", "190.40001", "0", "-190.40"):
        answer = api.post(
            f"/orders/{number}/payment", json={"method": "transfer", "amount": amount}, headers=headers
        )
        _refused(answer, "amount")
    assert _count(engine, payments, n=number) == before
    # The workflow never saw those: the right amount is taken as usual.
    paid = api.post(
        f"/orders/{number}/payment", json={"method": "transfer", "amount": "190.40"}, headers=headers
    )
    assert paid.status_code == 200, paid.text


def test_master_data_out_of_bounds_creates_nothing(
    api: TestClient, temporal_dev: WorkflowEnvironment, engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    _, token = factory.user("admin", entities=(entity,))
    headers = bearer(token)
    code = f"SUP{uuid.uuid4().hex[:8]}"
    supplier = {"code": code, "name": "Linofil Textiles", "currency": "EUR"}
    for change, field in [
        ({"name": "N" * 201}, "name"),
        ({"currency": "XXY"}, "currency"),
        ({"code": "C" * 31}, "code"),
        ({"tax_id": "T" * 41}, "tax_id"),
    ]:
        _refused(api.post("/suppliers", json={**supplier, **change}, headers=headers), field)
    assert _count(engine, "SELECT count(*) FROM supplier WHERE code = :c", c=code) == 0
    rates = "SELECT count(*) FROM fx_rate WHERE from_currency = 'XXY' OR rate_date > '2100-01-01'"
    for change, field in [
        ({"rate": "NaN"}, "rate"),
        ({"rate": "0"}, "rate"),
        ({"rate": "1e30"}, "rate"),
        ({"from_currency": "XXY"}, "from_currency"),
        ({"rate_date": "9999-12-31"}, "rate_date"),
    ]:
        body = {"from_currency": "USD", "to_currency": "EUR", "rate_date": TODAY.isoformat(), "rate": "0.91"}
        _refused(api.post("/fx-rates", json={**body, **change}, headers=headers), field)
    assert _count(engine, rates) == 0


class _Holder:
    """Stands in for the API's Temporal holder: the time-skipping server's client."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def get(self) -> Client:
        """The client."""
        return self.client


async def test_a_backorder_decision_with_days_abc_is_refused_and_the_order_still_decides(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    vase = add_item(factory, shop, "vase", "30.00")
    order = priced_order(engine, shop, [(vase.sku, "1")], external_id=f"bo-{uuid.uuid4().hex[:6]}")
    app = create_app()
    app.state.temporal = _Holder(time_skipping.client)
    client = time_skipping.client
    async with (
        build_worker(client, engine, task_queue),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://erp") as http,
    ):
        handle = await client.start_workflow(
            OrderWorkflow.run, order, id=f"Order-{order.order_number}", task_queue=task_queue
        )
        assert (await handle.execute_update(OrderWorkflow.sync)).stage == "backordered"
        # No supplier: promised in 14 days, the decision is due 2 days later.
        await time_skipping.sleep(timedelta(days=17))
        status = await handle.execute_update(OrderWorkflow.sync)
        assert status.pending_on == "sales_ops" and len(status.open_tasks) == 1
        task_id = status.open_tasks[0]
        headers = bearer(shop.sales)
        for payload in ({"days": "abc"}, {"days": 0}, {"days": 100000}, {"days": 2.5}):
            answer = await http.post(
                f"/tasks/{task_id}/decision",
                json={"decision": "keep_waiting", "payload": payload},
                headers=headers,
            )
            _refused(answer, "payload.days")
        substitute = await http.post(
            f"/tasks/{task_id}/decision",
            json={"decision": "substitute", "payload": {"sku": "S" * 41}},
            headers=headers,
        )
        _refused(substitute, "payload.sku")
        # The workflow still answers and the task is still open: a good decision goes through.
        assert (await handle.execute_update(OrderWorkflow.sync)).open_tasks == [task_id]
        assert _count(engine, "SELECT count(*) FROM task WHERE id = :t AND status = 'open'", t=task_id) == 1
        decided = await http.post(
            f"/tasks/{task_id}/decision",
            json={"decision": "keep_waiting", "payload": {"days": "7"}},
            headers=headers,
        )
        assert decided.status_code == 200, decided.text
        status = await handle.execute_update(OrderWorkflow.sync)
        assert status.open_tasks == [] and status.stage == "backordered"
        await handle.terminate("test done")
