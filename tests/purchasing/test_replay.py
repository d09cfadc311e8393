"""The recorded history of a completed purchase order replays on today's workflow code: a change that
would break running POs (non-determinism) fails here first. Regenerate the history after an intended,
versioned change with `ERP_RECORD_HISTORIES=1 .venv/bin/pytest tests/purchasing/test_replay.py`."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from erp.sandbox_runner import GuardedSandboxRunner
from models.contracts.purchasing import InvoiceLineIn, InvoiceRequest
from tests.factories import Factory
from tests.purchasing.buyer_desk import open_desk
from tests.purchasing.clock import issued, receive, today
from worker import build_worker
from workflows.purchasing.purchase_order import PurchaseOrderWorkflow

HISTORY = Path(__file__).parent / "histories" / "purchase_order_happy_path.json"


@pytest.mark.skipif(
    not os.environ.get("ERP_RECORD_HISTORIES"), reason="set ERP_RECORD_HISTORIES=1 to re-record"
)
async def test_record_the_happy_path_history(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    env = time_skipping
    desk = open_desk(factory)
    async with build_worker(env.client, engine, task_queue):
        po, handle = await issued(env, engine, desk, task_queue, "10")
        await receive(env, handle, desk, f"DN-{po.number}", "6")
        await receive(env, handle, desk, f"DN2-{po.number}", "4")
        await handle.execute_update(
            PurchaseOrderWorkflow.submit_invoice,
            InvoiceRequest(
                invoice_number=f"INV-{po.number}",
                invoice_date=await today(env),
                currency="EUR",
                lines=[InvoiceLineIn(line_no=1, qty=Decimal(10), price=Decimal("10.05"))],
                entered_by="clerk",
            ),
        )
        assert await handle.result() == "closed"
        history = await handle.fetch_history()
    HISTORY.parent.mkdir(exist_ok=True)
    HISTORY.write_text(history.to_json())


async def test_the_recorded_purchase_order_replays_deterministically() -> None:
    history = WorkflowHistory.from_json("PO-recorded", HISTORY.read_text())
    replayer = Replayer(
        workflows=[PurchaseOrderWorkflow],
        data_converter=pydantic_data_converter,
        workflow_runner=GuardedSandboxRunner(),
    )
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
