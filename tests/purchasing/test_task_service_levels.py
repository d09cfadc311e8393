"""Nobody answers the PO's other tasks either. A delivery is late and the buyer does not decide: with this
entity's 24-hour service level for delays, a reminder is recorded after 12 hours and after 24 the task
moves to the controller, who decides it (the buyer no longer can). An invoice does not match and the AP
clerks leave it: the default 48-hour service level reminds them after a day and hands the exception to
the controller after two, who accepts it (the invoice is paid, the PO closes). A revision the requester
leaves is reminded every period, never escalated. Timers run on the time-skipping server."""

import asyncio
import contextlib
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.client import WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from models.contracts.purchasing import InvoiceLineIn, InvoiceRequest
from models.tasks import TaskSlaSetting
from tests.factories import Factory
from tests.histories import save, should_record
from tests.inbox import audited
from tests.purchasing.buyer_desk import open_desk, open_task
from tests.purchasing.clock import decide, issued, reach, receive, start, task_of, today, until
from worker import build_worker
from workflows.purchasing.purchase_order import PurchaseOrderWorkflow

D = Decimal
HISTORY = Path(__file__).parent / "histories" / "purchase_order_exception_escalated.json"


async def _cancel(handle: WorkflowHandle[Any, str]) -> None:
    """End the PO and wait for its compensation: a workflow left mid-activity would stop the test clock."""
    await handle.cancel()
    with contextlib.suppress(WorkflowFailureError):
        await handle.result()


def _escalated(engine: Engine, number: str, kind: str) -> dict[str, Any] | None:
    task = open_task(engine, number, kind)
    return task if task is not None and task["escalation_level"] == 1 else None


async def test_a_late_delivery_nobody_decides_goes_to_the_controller(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    env = time_skipping
    desk = open_desk(factory, lead_days=7, grace_days=2)
    with Session(engine) as s:  # the entity's own service level for delays (replaces the 48-hour default)
        s.add(
            TaskSlaSetting(
                entity_id=desk.entity.id, kind="supplier_delay", sla_hours=24, escalate_to="controller"
            )
        )
        s.commit()
    async with build_worker(env.client, engine, task_queue):
        po, handle = await issued(env, engine, desk, task_queue)
        # Just past midnight after expected date + 2 days' grace: the delay task opens at midnight.
        late_at = datetime.combine(po.expected_date + timedelta(days=2), time(0), tzinfo=UTC)
        await env.sleep(late_at - await env.get_current_time() + timedelta(minutes=1))
        await reach(handle, "delayed")
        task = await task_of(engine, po.number, "supplier_delay")
        assert task["candidate_role"] == "buyer"

        await env.sleep(timedelta(hours=13))
        await until(lambda: audited(engine, "task.reminder", task["id"]) == 1, "a reminder")
        assert open_task(engine, po.number, "supplier_delay") == task

        await env.sleep(timedelta(hours=12))
        escalated = await until(lambda: _escalated(engine, po.number, "supplier_delay"), "the escalation")
        assert escalated["id"] == task["id"] and escalated["candidate_role"] == "controller"
        assert audited(engine, "task.escalated", task["id"]) == 1
        assert (await handle.query(PurchaseOrderWorkflow.status)).pending_on == "controller"

        new_date = {"new_date": (await today(env) + timedelta(days=5)).isoformat()}
        try:
            await decide(handle, desk, "buyer", ["buyer"], task["id"], "wait", payload=new_date)
            raise AssertionError("the buyer may no longer decide an escalated delay")
        except WorkflowUpdateFailedError as exc:
            assert "controller" in str(exc.cause)
        await decide(handle, desk, "controller", ["controller"], task["id"], "wait", payload=new_date)
        status = await reach(handle, "issued")
        assert status.pending_on == "supplier" and status.open_tasks == []
        await _cancel(handle)


async def test_an_invoice_exception_nobody_settles_goes_to_the_controller(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    env = time_skipping
    desk = open_desk(factory, lead_days=30)
    async with build_worker(env.client, engine, task_queue):
        po, handle = await issued(env, engine, desk, task_queue)
        await receive(env, handle, desk, "DN-1", "10")
        # 12.00 invoiced against a 10.00 contract price: outside any tolerance.
        await handle.execute_update(
            PurchaseOrderWorkflow.submit_invoice,
            InvoiceRequest(
                invoice_number="INV-1",
                invoice_date=await today(env),
                currency=po.currency,
                lines=[InvoiceLineIn(line_no=1, qty=D(10), price=D("12.00"))],
                entered_by=desk.name("clerk"),
            ),
        )
        task = await task_of(engine, po.number, "match_exception")
        assert task["candidate_role"] == "ap_clerk"

        await env.sleep(timedelta(hours=25))
        await until(lambda: audited(engine, "task.reminder", task["id"]) == 1, "a reminder")
        await env.sleep(timedelta(hours=24))
        escalated = await until(lambda: _escalated(engine, po.number, "match_exception"), "the escalation")
        assert escalated["candidate_role"] == "controller"
        await decide(handle, desk, "controller", ["controller"], task["id"], "accept")
        # Accepted: the invoice is paid on its (immediate) terms and the PO closes.
        assert await asyncio.wait_for(handle.result(), timeout=60) == "closed"
        if should_record(HISTORY):  # the replay gate keeps this path (limits, service levels) replaying
            save(await handle.fetch_history(), HISTORY)


async def test_a_revision_nobody_submits_is_reminded_every_period(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    # The approver sends the PO back; the buyer who raised it leaves it. The default 72-hour service level
    # of a revision reminds them after 36 hours and again in every following period (it is theirs alone).
    env = time_skipping
    desk = open_desk(factory)
    async with build_worker(env.client, engine, task_queue):
        po, handle = await start(env, engine, desk, task_queue)
        approval = await task_of(engine, po.number, "po_approval")
        await decide(handle, desk, "approver", ["approver"], approval["id"], "request_changes", revision=1)
        task = await task_of(engine, po.number, "po_revision")

        await env.sleep(timedelta(hours=37))
        await until(lambda: audited(engine, "task.reminder", task["id"]) == 1, "a reminder")
        # At 72 hours nobody is above the requester: a new period starts with another reminder.
        await env.sleep(timedelta(hours=36))
        await until(lambda: audited(engine, "task.reminder", task["id"]) == 2, "the next reminder")
        assert audited(engine, "task.escalated", task["id"]) == 0
        assert open_task(engine, po.number, "po_revision") == task
        await _cancel(handle)
