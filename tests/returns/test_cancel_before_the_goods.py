"""Returns are cancelled before their goods arrive: sales ops cancels one awaiting the goods through the API;
an operator cancels two from Temporal (the Web UI's "Request Cancellation"), one waiting for approval (its
task leaves the inbox) and one awaiting the goods. Each RMA ends cancelled in PostgreSQL, no refund, no task
left open; once the goods are in, cancelling is refused."""

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.factories import Factory
from tests.histories import save, should_record
from tests.returns.desk import count, open_desk, raise_return, ship_through_api
from tests.sales.shop import add_item, bearer, receive

D = Decimal
HISTORY = Path(__file__).parent / "histories" / "return_cancelled_in_approval.json"


async def _cancel_from_temporal(
    env: WorkflowEnvironment, workflow_id: str, record: Path | None = None
) -> None:
    handle = env.client.get_workflow_handle(workflow_id)
    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as ended:
        await handle.result()
    assert isinstance(ended.value.cause, CancelledError)
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
    if record is not None and should_record(record):
        save(await handle.fetch_history(), record)


async def test_returns_cancelled_through_the_api_and_from_temporal(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    shop = desk.shop
    lamp = add_item(factory, shop, "lamp", "30.00")
    heater = add_item(factory, shop, "heater", "150.00")
    receive(engine, lamp, shop.wh1, "6", "12.00")
    receive(engine, heater, shop.wh1, "2", "60.00")
    number = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "3"}, {"sku": heater.sku, "qty": "1"}])
    sales = bearer(shop.sales)

    def raise_one(line_no: int) -> dict[str, Any]:
        raised = raise_return(
            api, shop.sales, number, [{"line_no": line_no, "qty": "1", "reason_code": "defective"}]
        )
        assert raised.status_code == 201, raised.text
        return dict(raised.json())

    # Through the API, awaiting the goods.
    by_api = raise_one(1)
    assert by_api["stage"] == "awaiting_goods"
    cancelled = api.post(
        f"/returns/{by_api['rma_number']}/cancel", json={"reason": "customer keeps it"}, headers=sales
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["stage"] == "cancelled"
    again = api.post(f"/returns/{by_api['rma_number']}/cancel", json={"reason": "again"}, headers=sales)
    assert again.status_code == 409, again.text

    # From Temporal, waiting for approval: the task leaves the approver's inbox.
    in_approval = raise_one(2)
    assert in_approval["stage"] == "approval"
    [task_id] = in_approval["open_tasks"]
    assert task_id in {t["id"] for t in api.get("/tasks", headers=bearer(desk.approver)).json()}
    await _cancel_from_temporal(temporal_dev, str(in_approval["workflow_id"]), HISTORY)
    assert task_id not in {t["id"] for t in api.get("/tasks", headers=bearer(desk.approver)).json()}

    # From Temporal, awaiting the goods.
    awaiting = raise_one(1)
    await _cancel_from_temporal(temporal_dev, str(awaiting["workflow_id"]))

    for rma in (by_api, in_approval, awaiting):
        detail = api.get(f"/returns/{rma['rma_number']}", headers=sales).json()
        assert detail["stage"] == "cancelled", detail
        assert D(detail["refunded"]) == 0
        assert (
            count(
                engine,
                "SELECT count(*) FROM task WHERE subject_id = :n AND status = 'open'",
                n=rma["rma_number"],
            )
            == 0
        )

    # Once the goods are in, the return is past cancelling.
    booked = raise_one(1)
    received = api.post(
        f"/returns/{booked['rma_number']}/receipt",
        json={"parts": [{"line_no": 1, "qty": "1", "disposition": "restock"}]},
        headers=bearer(shop.warehouse),
    )
    assert received.status_code == 200, received.text
    late = api.post(f"/returns/{booked['rma_number']}/cancel", json={"reason": "too late"}, headers=sales)
    assert late.status_code == 409, late.text
