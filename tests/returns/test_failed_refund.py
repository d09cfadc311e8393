"""A customer returns a lamp paid by a card whose account has since been closed: the credit note is issued
(the shop owes the money, shown on the order's receivable), but the payment provider refuses the refund, so
no money leaves payment clearing and sales ops get a task that says why and what to do next."""

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from tests.factories import Factory
from tests.returns.desk import raise_return, ship_through_api, totals
from tests.sales.shop import add_item, bearer, open_shop, receive

D = Decimal


def test_a_refund_the_provider_refuses_opens_a_task_that_says_why(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory, payment_provider="sandbox")
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "5", "12.00")
    number = ship_through_api(
        api, shop, [{"sku": lamp.sku, "qty": "1"}], payment_reference="sandbox:refund-fails"
    )  # 30.00 + 19 % = 35.70

    raised = raise_return(api, shop.sales, number, [{"line_no": 1, "qty": "1", "reason_code": "defective"}])
    assert raised.status_code == 201, raised.text
    rma = raised.json()["rma_number"]
    received = api.post(
        f"/returns/{rma}/receipt",
        json={"parts": [{"line_no": 1, "qty": "1", "disposition": "restock"}]},
        headers=bearer(shop.warehouse),
    )
    assert received.status_code == 200, received.text

    # The credit note is posted against the receivable; the refund did not move money out of clearing.
    posted = totals(engine, rma, number)
    assert posted["ar"] == D("-35.70") and "payment_clearing" not in posted
    tasks = [t for t in api.get("/tasks", headers=bearer(shop.sales)).json() if t["kind"] == "refund_failed"]
    assert [t["subject_id"] for t in tasks] == [rma]
    task = api.get(f"/tasks/{tasks[0]['id']}", headers=bearer(shop.sales)).json()
    assert "35.70" in task["title"] and "card account is closed" in task["title"]
    assert task["details"]["order_number"] == number and "bank transfer" in task["details"]["next_step"]
