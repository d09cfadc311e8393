"""A release manager wants every workflow type in the replay gate, waiting states included: a marketplace
payout waiting for the controller on a line that matches no order, a replenishment run waiting for the
buyer on an over-budget draft, a morning data-quality check, and one outbox dispatcher run up to its
continue-as-new. Each scenario runs for real, its history is recorded (the first time, or with
ERP_RECORD_HISTORIES=1) under tests/replay/histories/, and the committed file replays with today's code."""

import asyncio
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from erp.sandbox_runner import GuardedSandboxRunner
from erp.settings import get_settings
from models.contracts.foresight import DataQualityInput
from models.contracts.integration import DispatcherInput
from rules.periods import period_of
from tests.factories import Factory
from tests.histories import save, should_record
from tests.replenishment.shop import TEN_DAYS, eventually, open_task, receive_stock, rows, sell, today
from tests.replenishment.shop import bearer as rep_bearer
from tests.replenishment.shop import open_shop as open_replenishment_shop
from tests.sales.shop import bearer, open_shop
from workflows.foresight.data_quality import DataQualityCheckWorkflow
from workflows.integration.dispatcher import OutboxDispatcherWorkflow
from workflows.registry import WORKFLOWS

HISTORIES = Path(__file__).parent / "histories"


async def _replays(path: Path, workflow_type: str) -> None:
    """The committed history is of this type and replays with today's code."""
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.workflow_type.name == workflow_type
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=GuardedSandboxRunner()
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


async def _record_when_waiting(handle: WorkflowHandle[Any, Any], path: Path) -> None:
    """Save the history of a workflow that is running (waiting for a person)."""
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    save(await handle.fetch_history(), path)


async def test_a_marketplace_payout_waits_for_the_controller(
    api: TestClient, erp_worker: Worker, temporal_dev: WorkflowEnvironment, factory: Factory
) -> None:
    path = HISTORIES / "ops_settlement_awaiting_controller.json"
    if should_record(path):
        shop = open_shop(factory)
        reference = f"PAY-{uuid.uuid4().hex[:8]}"
        report = {
            "channel": shop.market.code,
            "reference": reference,
            "payout_date": str(date.today()),
            "lines": [{"external_id": "GHOST-1", "gross": "20.00", "fees": "2.00"}],
        }
        posted = api.post("/settlements", json=report, headers=bearer(shop.controller))
        assert posted.status_code == 201, posted.text
        assert [ln["status"] for ln in posted.json()["lines"]] == ["unmatched"]
        assert posted.json()["open_tasks"]
        handle = temporal_dev.client.get_workflow_handle(f"Settlement-{shop.market.code}-{reference}")
        await _record_when_waiting(handle, path)
    await _replays(path, "MarketplaceSettlement")


async def test_an_over_budget_replenishment_run_waits_for_the_buyer(
    api: TestClient, erp_worker: Worker, temporal_dev: WorkflowEnvironment, engine: Engine, factory: Factory
) -> None:
    path = HISTORIES / "ops_replenishment_awaiting_buyer.json"
    if should_record(path):
        shop = open_replenishment_shop(factory)
        entity_id, wh, item_id, _ = shop.ids
        day = today()
        receive_stock(engine, item_id, wh, "70", "5.00", day - timedelta(days=40), f"rr{entity_id}:open")
        sell(engine, item_id, wh, TEN_DAYS, day, f"rr{entity_id}")
        budget = {"entity_id": entity_id, "category": "apparel", "period": period_of(day), "amount": "100"}
        set_budget = api.put("/replenishment/budgets", json=budget, headers=rep_bearer(shop.controller[1]))
        assert set_budget.status_code == 200, set_budget.text
        started = api.post(
            "/replenishment/runs",
            json={"entity_id": entity_id, "run_date": day.isoformat()},
            headers=rep_bearer(shop.buyer[1]),
        )
        assert started.status_code == 201, started.text

        def review() -> dict[str, Any] | None:
            found = rows(
                engine,
                "SELECT d.po_number FROM replenishment_draft d JOIN replenishment_run r ON r.id = d.run_id"
                " WHERE r.entity_id = :e AND d.status = 'awaiting_buyer' AND d.task_id IS NOT NULL",
                e=entity_id,
            )
            return open_task(engine, str(found[0]["po_number"]), "replenishment_review") if found else None

        await eventually(review, "the buyer's review task")
        handle = temporal_dev.client.get_workflow_handle(started.json()["workflow_id"])
        await _record_when_waiting(handle, path)
    await _replays(path, "ReplenishmentRun")


async def test_a_morning_data_quality_check(
    erp_worker: Worker, temporal_dev: WorkflowEnvironment, factory: Factory
) -> None:
    path = HISTORIES / "ops_data_quality_check.json"
    if should_record(path):
        entity = factory.entity()
        factory.item()  # at least one record to look at
        workflow_id = f"DataQuality-{entity.code}-{uuid.uuid4().hex[:6]}"
        client: Client = temporal_dev.client
        result = await client.execute_workflow(
            DataQualityCheckWorkflow.run,
            DataQualityInput(entity_code=entity.code, day=date.today(), trigger="manual"),
            id=workflow_id,
            task_queue=get_settings().task_queue,
        )
        assert result is not None
        save(await client.get_workflow_handle(workflow_id).fetch_history(), path)
    await _replays(path, "DataQualityCheck")


async def test_an_outbox_dispatcher_run_continues_as_new(
    erp_worker: Worker, temporal_dev: WorkflowEnvironment
) -> None:
    path = HISTORIES / "ops_outbox_dispatcher_two_rounds.json"
    if should_record(path):
        client = temporal_dev.client
        handle = await client.start_workflow(
            OutboxDispatcherWorkflow.run,
            DispatcherInput(batch_size=10, idle_seconds=1, rounds_before_continue=2),
            id=f"OutboxDispatcher-replay-{uuid.uuid4().hex[:6]}",
            task_queue=get_settings().task_queue,
        )
        first = client.get_workflow_handle(handle.id, run_id=handle.result_run_id)
        try:
            for _ in range(200):
                if (await first.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW:
                    break
                await asyncio.sleep(0.2)
            else:
                raise AssertionError("the dispatcher never continued as new")
            save(await first.fetch_history(), path)
        finally:
            await client.get_workflow_handle(handle.id).terminate("recorded")
    await _replays(path, "OutboxDispatcher")
