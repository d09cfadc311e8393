"""Helpers for scenarios on the time-skipping server: start POs directly and act as people would."""

import asyncio
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Engine
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from models.contracts.purchasing import (
    InvoiceLineIn,
    InvoiceRequest,
    MatchOutcome,
    PoStatus,
    PurchaseOrderInput,
    ReceiptLineIn,
    ReceiptRequest,
)
from models.contracts.tasks import DecisionRequest, DecisionResult
from tests.purchasing.buyer_desk import Desk, draft_input, open_task
from workflows.purchasing.purchase_order import PurchaseOrderWorkflow

T = TypeVar("T")
D = Decimal


async def until(probe: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    """Poll (real time) while the worker in this event loop makes progress."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found is not None and found is not False:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def task_of(engine: Engine, number: str, kind: str) -> dict[str, Any]:
    """Wait for an open task of a kind on the PO."""
    return await until(lambda: open_task(engine, number, kind), f"{kind} task on {number}")


async def start(
    env: WorkflowEnvironment,
    engine: Engine,
    desk: Desk,
    task_queue: str,
    qty: str = "10",
    landed_pct: str = "0",
) -> tuple[PurchaseOrderInput, WorkflowHandle[Any, str]]:
    """Start a PO workflow the way the API does, dated on the (skipped) workflow clock."""
    po = draft_input(engine, desk, qty, order_date=await today(env), landed_pct=landed_pct)
    handle = await env.client.start_workflow(
        PurchaseOrderWorkflow.run, po, id=po.workflow_id, task_queue=task_queue
    )
    return po, handle


async def decide(
    handle: WorkflowHandle[Any, str],
    desk: Desk,
    who: str,
    roles: list[str],
    task_id: int,
    decision: str,
    **extra: Any,
) -> DecisionResult:
    """Send a decision update as a person of the desk."""
    req = DecisionRequest(
        task_id=task_id,
        decision=decision,
        actor=desk.name(who),
        actor_roles=roles,
        approval_limit=D("100000"),
        **extra,
    )
    return await handle.execute_update(PurchaseOrderWorkflow.decide, req)


async def issued(
    env: WorkflowEnvironment,
    engine: Engine,
    desk: Desk,
    task_queue: str,
    qty: str = "10",
    landed_pct: str = "0",
) -> tuple[PurchaseOrderInput, WorkflowHandle[Any, str]]:
    """A PO approved and issued."""
    po, handle = await start(env, engine, desk, task_queue, qty, landed_pct)
    task = await task_of(engine, po.number, "po_approval")
    await decide(handle, desk, "approver", ["approver"], task["id"], "approve", revision=1)
    await reach(handle, "issued")
    return po, handle


async def reach(handle: WorkflowHandle[Any, str], wanted: str, timeout: float = 30.0) -> PoStatus:
    """Poll the workflow's status query until it reaches a stage."""
    deadline = time.monotonic() + timeout
    status = await handle.query(PurchaseOrderWorkflow.status)
    while status.stage != wanted:
        if time.monotonic() > deadline:
            raise AssertionError(f"PO {status.number} never reached {wanted}; it is {status.stage}")
        await asyncio.sleep(0.05)
        status = await handle.query(PurchaseOrderWorkflow.status)
    return status


async def today(env: WorkflowEnvironment) -> date:
    """The business date on the test server's clock (it runs ahead of the wall clock)."""
    return (await env.get_current_time()).date()


async def receive(
    env: WorkflowEnvironment, handle: WorkflowHandle[Any, str], desk: Desk, note: str, qty: str
) -> None:
    """The warehouse receives a quantity of line 1."""
    await handle.execute_update(
        PurchaseOrderWorkflow.receive,
        ReceiptRequest(
            delivery_note=note,
            received_by=desk.name("receiver"),
            received_on=await today(env),
            lines=[ReceiptLineIn(line_no=1, qty=D(qty))],
        ),
    )


async def invoiced(
    env: WorkflowEnvironment, handle: WorkflowHandle[Any, str], desk: Desk, number: str, qty: str, price: str
) -> MatchOutcome:
    """The clerk enters the supplier's goods invoice for line 1 (EUR, dated today on the workflow clock)."""
    return await handle.execute_update(
        PurchaseOrderWorkflow.submit_invoice,
        InvoiceRequest(
            invoice_number=number,
            invoice_date=await today(env),
            currency="EUR",
            lines=[InvoiceLineIn(line_no=1, qty=D(qty), price=D(price))],
            entered_by=desk.name("clerk"),
        ),
    )
