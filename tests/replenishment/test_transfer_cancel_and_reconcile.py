"""Transfers whose workflow an operator stops: a draft cancelled from Temporal reads cancelled (nothing had
moved); a terminated draft is cancelled by the reconciliation; a terminated transfer whose goods are in
transit cannot be repaired safely, so the reconciliation hands it to an admin."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from erp.settings import get_settings
from models.contracts.reconcile import ReconcileInput
from tests.factories import Factory
from tests.replenishment.shop import bearer, eventually, open_shop, open_task, receive_stock, rows, today
from workflows.operations.reconcile import ReconciliationWorkflow


def _status(engine: Engine, number: str) -> str | None:
    found = rows(engine, "SELECT status FROM transfer_order WHERE number = :n", n=number)
    return str(found[0]["status"]) if found else None


async def test_stopped_transfers_are_cancelled_or_handed_to_an_admin(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    entity_id, wh, item_id, _ = shop.ids
    receive_stock(engine, item_id, wh, "30", "5.00", today() - timedelta(days=1), f"tc{entity_id}:open")
    clerk = bearer(shop.warehouse_clerk[1])

    async def create() -> str:
        created = api.post(
            "/transfers",
            json={
                "entity_id": entity_id,
                "from_location_id": wh,
                "to_location_id": shop.store.id,
                "lines": [{"item_id": item_id, "qty": "4"}],
            },
            headers=clerk,
        )
        assert created.status_code == 201, created.text
        number = str(created.json()["number"])
        await eventually(lambda: _status(engine, number) == "draft" or None, f"transfer {number} persisted")
        return number

    cancelled, terminated, in_transit = await create(), await create(), await create()

    def ship() -> Any:
        answer = api.post(f"/transfers/{in_transit}/ship", json={}, headers=clerk)
        return answer if answer.status_code == 200 else None

    await eventually(ship, f"transfer {in_transit} shipped")

    handle = temporal_dev.client.get_workflow_handle(f"TO-{cancelled}")
    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as ended:
        await handle.result()
    assert isinstance(ended.value.cause, CancelledError)
    assert _status(engine, cancelled) == "cancelled"

    for number in (terminated, in_transit):
        await temporal_dev.client.get_workflow_handle(f"TO-{number}").terminate(reason="operator test")
    result = await temporal_dev.client.execute_workflow(
        ReconciliationWorkflow.run,
        ReconcileInput(entity_code=shop.entity.code, trigger="manual"),
        id=f"Reconcile-{shop.entity.code}-transfers",
        task_queue=get_settings().task_queue,
    )
    assert (result.ended_workflows, result.repaired, result.cases_opened) == (2, 1, 1)
    assert _status(engine, terminated) == "cancelled"
    assert _status(engine, in_transit) == "shipped"
    case = await eventually(lambda: open_task(engine, in_transit, "reconciliation"), "reconciliation task")
    assert case["candidate_role"] == "admin"
