"""The worker process is killed (SIGKILL) right after a receipt and then an invoice are admitted by the
workflow. A new worker picks up where it left off: every event is posted exactly once, stock is received
once, and the entity's books still balance."""

import os
import signal
import subprocess
import sys
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, text
from temporalio.client import WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment

from erp.settings import PROJECT_ROOT
from models.contracts.purchasing import InvoiceLineIn, InvoiceRequest, ReceiptLineIn, ReceiptRequest
from models.contracts.tasks import DecisionRequest
from tests.factories import Factory
from tests.purchasing.buyer_desk import draft_input, open_desk, stock_balance
from tests.purchasing.clock import reach, task_of
from workflows.purchasing.purchase_order import PurchaseOrderWorkflow

pytestmark = pytest.mark.slow  # starts worker processes: run with the other system tests

D = Decimal


def _worker(task_queue: str, address: str) -> subprocess.Popen[bytes]:
    """The production worker in its own process, on a queue of its own."""
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": address,
        "ERP_TASK_QUEUE": task_queue,
        "ERP_WORKER_METRICS_PORT": "0",
    }
    return subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def _ledger(engine: Engine, number: str, entity_id: int) -> tuple[list[str], Decimal, int, int]:
    with engine.connect() as c:
        keys = (
            c.execute(
                text(
                    "SELECT idempotency_key FROM journal_entry WHERE source_type = 'purchase_order'"
                    " AND source_id = :n ORDER BY id"
                ),
                {"n": number},
            )
            .scalars()
            .all()
        )
        total = c.execute(
            text("SELECT COALESCE(sum(amount_func), 0) FROM journal_line WHERE entity_id = :e"),
            {"e": entity_id},
        ).scalar_one()
        moves = c.execute(
            text("SELECT count(*) FROM stock_move WHERE source_id = :n"), {"n": number}
        ).scalar_one()
        receipts = c.execute(
            text(
                "SELECT count(*) FROM goods_receipt r JOIN purchase_order p ON p.id = r.po_id"
                " WHERE p.number = :n"
            ),
            {"n": number},
        ).scalar_one()
    return list(keys), D(total), int(moves), int(receipts)


async def test_a_killed_worker_leaves_exactly_one_posting_per_event(
    temporal_dev: WorkflowEnvironment, engine: Engine, factory: Factory
) -> None:
    client = temporal_dev.client
    address = client.service_client.config.target_host
    queue = f"crash-{uuid.uuid4().hex[:8]}"
    desk = open_desk(factory)
    assert desk.entity.id and desk.item.id and desk.warehouse.id
    proc = _worker(queue, address)
    try:
        po = draft_input(engine, desk, "10")
        handle: Any = await client.start_workflow(
            PurchaseOrderWorkflow.run, po, id=po.workflow_id, task_queue=queue
        )
        task = await task_of(engine, po.number, "po_approval")
        await handle.execute_update(
            PurchaseOrderWorkflow.decide,
            DecisionRequest(
                task_id=task["id"],
                decision="approve",
                actor=desk.name("approver"),
                actor_roles=["approver"],
                approval_limit=D("100000"),
                revision=1,
            ),
        )
        await reach(handle, "issued")

        receipt = await handle.start_update(
            PurchaseOrderWorkflow.receive,
            ReceiptRequest(
                delivery_note=f"DN-{po.number}",
                received_by=desk.name("receiver"),
                received_on=po.order_date,
                lines=[ReceiptLineIn(line_no=1, qty=D(10))],
            ),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )
        _kill(proc)
        proc = _worker(queue, address)
        assert (await receipt.result()).receipt_no == 1

        invoice = await handle.start_update(
            PurchaseOrderWorkflow.submit_invoice,
            InvoiceRequest(
                invoice_number=f"INV-{po.number}",
                invoice_date=po.order_date,
                currency="EUR",
                lines=[InvoiceLineIn(line_no=1, qty=D(10), price=D("10.00"))],
                entered_by=desk.name("clerk"),
            ),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )
        _kill(proc)
        proc = _worker(queue, address)
        assert (await invoice.result()).status == "matched"
        assert await handle.result() == "closed"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)

    keys, total, moves, receipts = _ledger(engine, po.number, desk.entity.id)
    prefix = f"po:{po.number}"
    assert len(keys) == len(set(keys)) == 3
    assert keys[0] == f"{prefix}:receipt:1:line:1:gl"
    assert keys[1].startswith(f"{prefix}:invoice:") and keys[1].endswith(":gl")
    assert keys[2].startswith(f"{prefix}:invoice:") and keys[2].endswith(":payment")
    assert (total, moves, receipts) == (D(0), 1, 1)
    assert stock_balance(engine, desk.item.id, desk.warehouse.id)[:2] == (D(10), D(0))
