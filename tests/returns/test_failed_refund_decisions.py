"""Two customers return a lamp (35.70 with tax) paid by cards whose accounts have since been closed: the
provider refuses both refunds, so each credit note stays on its order's receivable and each return waits on
sales ops with a task that says why and offers three decisions. For the first, sales ops retry (refused again:
a second task opens) and then pay the customer by bank transfer: the credit moves to refunds payable, tagged
with the customer, and the return closes. For the second, a write-off without a reason is refused naming the
field; with a reason the credit is written off and the return closes. A decision sent twice changes nothing."""

from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.factories import Factory
from tests.histories import save, should_record
from tests.purchasing.buyer_desk import eventually
from tests.returns.desk import return_stage, returned_and_received, ship_through_api, totals
from tests.sales.shop import Shop, add_item, bearer, open_shop, receive

D = Decimal
HISTORY = Path(__file__).parent / "histories" / "return_failed_refund_decided.json"


def _failed_return(api: TestClient, shop: Shop, sku: str) -> tuple[str, str]:
    """A lamp shipped and returned; its refund fails. (rma, order number)"""
    number = ship_through_api(api, shop, [{"sku": sku, "qty": "1"}], payment_reference="sandbox:refund-fails")
    return returned_and_received(api, shop, number), number


def _task(api: TestClient, shop: Shop, rma: str, attempt: int = 1) -> dict[str, Any] | None:
    found = [
        t
        for t in api.get("/tasks", headers=bearer(shop.sales)).json()
        if t["kind"] == "refund_failed" and t["subject_id"] == rma
    ]
    if not found:
        return None
    task: dict[str, Any] = api.get(f"/tasks/{found[0]['id']}", headers=bearer(shop.sales)).json()
    return task if task["details"].get("attempt", 1) == attempt else None


def _decide(api: TestClient, shop: Shop, task_id: int, decision: str, comment: str | None = None) -> Any:
    body = {"decision": decision, **({"comment": comment} if comment else {})}
    return api.post(f"/tasks/{task_id}/decision", json=body, headers=bearer(shop.sales))


def _receivable(engine: Engine, order_number: str) -> Decimal:
    with engine.connect() as c:
        return D(
            c.execute(
                text(
                    "SELECT COALESCE(sum(l.amount), 0) FROM journal_line l JOIN account a ON a.id = l.account_id"
                    " WHERE a.role = 'ar' AND l.partner_type = 'order' AND l.partner_id = :o"
                ),
                {"o": order_number},
            ).scalar_one()
        )


async def test_sales_ops_decide_each_refused_refund(
    temporal_dev: WorkflowEnvironment, api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory, payment_provider="sandbox")
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "5", "12.00")

    rma, number = _failed_return(api, shop, lamp.sku)
    first = eventually(lambda: _task(api, shop, rma), "the failed refund's task")
    assert first["options"] == ["retry", "bank_transfer", "write_off"]
    assert "card account is closed" in first["title"] and first["details"]["amount"] == "35.70"
    assert return_stage(api, shop, rma) == "refunded"  # waits on sales ops, not closed
    assert totals(engine, rma, number)["ar"] == D("-35.70")  # the shop owes the customer

    retried = _decide(api, shop, first["id"], "retry")
    assert retried.status_code == 200, retried.text
    second = eventually(lambda: _task(api, shop, rma, attempt=2), "the task of the refused retry")
    assert second["id"] != first["id"] and return_stage(api, shop, rma) == "refunded"
    assert _decide(api, shop, first["id"], "retry").status_code == 409  # decided once

    paid = _decide(api, shop, second["id"], "bank_transfer")
    assert paid.status_code == 200, paid.text
    eventually(lambda: return_stage(api, shop, rma) == "closed" or None, "the return closed")
    posted = totals(engine, rma, number)
    assert posted["refunds_payable"] == D("-35.70") and "payment_clearing" not in posted
    assert _receivable(engine, number) == 0  # the card capture and the credit note's credit settled
    assert _decide(api, shop, second["id"], "bank_transfer").status_code == 409
    assert totals(engine, rma, number) == posted

    other, other_number = _failed_return(api, shop, lamp.sku)
    task = eventually(lambda: _task(api, shop, other), "the second failed refund's task")
    unexplained = _decide(api, shop, task["id"], "write_off")
    assert unexplained.status_code == 422 and "comment" in unexplained.text, unexplained.text
    assert "refund_write_off" not in totals(engine, other, other_number)
    written = _decide(api, shop, task["id"], "write_off", "customer unreachable, card closed")
    assert written.status_code == 200, written.text
    eventually(lambda: return_stage(api, shop, other) == "closed" or None, "the second return closed")
    assert totals(engine, other, other_number)["refund_write_off"] == D("-35.70")
    assert _receivable(engine, other_number) == 0

    if should_record(HISTORY):
        handle = temporal_dev.client.get_workflow_handle(f"Return-{rma}")
        await handle.result()
        save(await handle.fetch_history(), HISTORY)
