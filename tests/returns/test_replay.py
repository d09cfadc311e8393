"""A recorded return (approval by a second person, receipt with restock, card refund) replays against
today's workflow code: a change that breaks determinism fails here, not in production."""

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.factories import Factory
from tests.histories import assert_replays, save, should_record
from tests.returns.desk import open_desk, raise_return, ship_through_api
from tests.sales.shop import add_item, bearer, receive
from workflows.returns.rma import ReturnWorkflow

HISTORY = Path(__file__).parent / "histories" / "return_with_approval.json"


def record_return(api: TestClient, engine: Engine, factory: Factory) -> str:
    """Run a return from request to refund through the API; returns its workflow id."""
    desk = open_desk(factory)
    shop = desk.shop
    kettle = add_item(factory, shop, "kettle", "120.00")
    receive(engine, kettle, shop.wh1, "2", "50.00")
    number = ship_through_api(api, shop, [{"sku": kettle.sku, "qty": "1"}])
    raised = raise_return(api, shop.sales, number, [{"line_no": 1, "qty": "1", "reason_code": "defective"}])
    assert raised.status_code == 201, raised.text
    [task_id] = raised.json()["open_tasks"]
    decided = api.post(
        f"/tasks/{task_id}/decision", json={"decision": "approve"}, headers=bearer(desk.approver)
    )
    assert decided.status_code == 200, decided.text
    rma = raised.json()["rma_number"]
    received = api.post(
        f"/returns/{rma}/receipt",
        json={"parts": [{"line_no": 1, "qty": "1", "disposition": "restock"}]},
        headers=bearer(shop.warehouse),
    )
    assert received.status_code == 200, received.text
    return str(raised.json()["workflow_id"])


async def test_recorded_history_replays(
    api: TestClient, erp_worker: Worker, temporal_dev: WorkflowEnvironment, engine: Engine, factory: Factory
) -> None:
    # Regenerate with: ERP_RECORD_HISTORIES=1 .venv/bin/pytest tests/returns/test_replay.py
    if should_record(HISTORY):
        workflow_id = record_return(api, engine, factory)
        handle = temporal_dev.client.get_workflow_handle_for(ReturnWorkflow.run, workflow_id)
        assert (await handle.result()).stage == "closed"
        save(await handle.fetch_history(), HISTORY)
    await assert_replays(HISTORY)
