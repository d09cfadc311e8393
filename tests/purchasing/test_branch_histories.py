"""A release manager wants every branch of the purchase order in the replay gate before its workflow is
moved around: a rejection, a withdrawal, a cancellation in approval, changes requested on an escalated
approval and a revision approved, a supplier confirmation, a partial receipt and a cancelled remainder,
each of the buyer's four answers to a late delivery (a substitute PO included), a match exception
rejected, an invoice waiting for its receipt (matched on arrival, or past its deadline). Each scenario
runs for real on the time-skipping server; its history is recorded the first time (or with
ERP_RECORD_HISTORIES=1) under tests/purchasing/histories/, and the committed file replays on today's code."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from erp.sandbox_runner import GuardedSandboxRunner
from models.contracts.purchasing import (
    CancelRequest,
    ConfirmationRequest,
)
from tests.factories import Factory
from tests.histories import save, should_record
from tests.purchasing.buyer_desk import open_desk, open_task
from tests.purchasing.clock import decide, invoiced, issued, reach, receive, start, task_of, today, until
from worker import build_worker
from workflows.purchasing.purchase_order import PurchaseOrderWorkflow
from workflows.registry import WORKFLOWS

D = Decimal
HISTORIES = Path(__file__).parent / "histories"


async def _replays(path: Path) -> None:
    """The committed history is a purchase order's and replays with today's code."""
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    assert history.events[0].workflow_execution_started_event_attributes.workflow_type.name == "PurchaseOrder"
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=GuardedSandboxRunner()
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


async def _delayed(
    env: WorkflowEnvironment, engine: Engine, handle: WorkflowHandle[Any, str], number: str
) -> int:
    """Skip past the expected date and its grace: the buyer's delay task."""
    await env.sleep(timedelta(days=10))
    await reach(handle, "delayed")
    return int((await task_of(engine, number, "supplier_delay"))["id"])


async def test_approval_branches_rejected_withdrawn_and_cancelled(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    env = time_skipping
    paths = [
        HISTORIES / f"purchase_order_{n}.json" for n in ("rejected", "withdrawn", "cancelled_in_approval")
    ]
    if any(should_record(p) for p in paths):
        desk = open_desk(factory)
        async with build_worker(env.client, engine, task_queue):
            po, rejected = await start(env, engine, desk, task_queue)
            task = await task_of(engine, po.number, "po_approval")
            await decide(rejected, desk, "approver", ["approver"], task["id"], "reject", comment="no budget")
            assert await rejected.result() == "rejected"
            save(await rejected.fetch_history(), paths[0])

            po, withdrawn = await start(env, engine, desk, task_queue)
            task = await task_of(engine, po.number, "po_approval")
            await decide(withdrawn, desk, "approver", ["approver"], task["id"], "request_changes", revision=1)
            revise = await task_of(engine, po.number, "po_revision")
            await decide(withdrawn, desk, "buyer", ["buyer"], revise["id"], "withdraw", revision=1)
            assert await withdrawn.result() == "cancelled"
            save(await withdrawn.fetch_history(), paths[1])

            po, cancelled = await start(env, engine, desk, task_queue)
            await task_of(engine, po.number, "po_approval")
            await cancelled.execute_update(
                PurchaseOrderWorkflow.cancel, CancelRequest(actor=desk.name("buyer"), reason="not needed")
            )
            assert await cancelled.result() == "cancelled"
            save(await cancelled.fetch_history(), paths[2])
    for path in paths:
        await _replays(path)


async def test_an_escalated_approval_revised_confirmed_partly_received_and_the_rest_cancelled(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    env = time_skipping
    path = HISTORIES / "purchase_order_revised_confirmed_remainder_cancelled.json"
    if should_record(path):
        desk = open_desk(factory, sla_hours=24, escalation={"approver": "controller"})
        async with build_worker(env.client, engine, task_queue):
            po, handle = await start(env, engine, desk, task_queue)
            task = await task_of(engine, po.number, "po_approval")
            await env.sleep(timedelta(hours=25))  # reminded at 12 h, escalated at 24 h
            await until(
                lambda: (t := open_task(engine, po.number, "po_approval")) and t["escalation_level"] == 1,
                "escalation",
            )
            await decide(
                handle, desk, "controller", ["controller"], task["id"], "request_changes", revision=1
            )
            revise = await task_of(engine, po.number, "po_revision")
            payload = {"lines": [{"line_no": 1, "qty": "8"}]}
            await decide(
                handle, desk, "buyer", ["buyer"], revise["id"], "submit", revision=1, payload=payload
            )
            again = await until(
                lambda: (t := open_task(engine, po.number, "po_approval")) and t["id"] != task["id"] and t,
                "the second approval",
            )
            await decide(handle, desk, "approver", ["approver"], again["id"], "approve", revision=2)
            await reach(handle, "issued")
            day = await today(env)
            confirmation = ConfirmationRequest(
                confirmed_date=day + timedelta(days=5), reference=f"OC-{po.number}", actor=desk.name("buyer")
            )
            await handle.execute_update(PurchaseOrderWorkflow.confirm, confirmation)
            await receive(env, handle, desk, f"DN-{po.number}", "4")
            await reach(handle, "receiving")
            await handle.execute_update(
                PurchaseOrderWorkflow.cancel, CancelRequest(actor=desk.name("buyer"), reason="season over")
            )
            assert (await invoiced(env, handle, desk, f"INV-{po.number}", "4", "10.00")).status == "matched"
            assert await handle.result() == "closed"
            save(await handle.fetch_history(), path)
    await _replays(path)


async def test_each_answer_to_a_late_delivery(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    env = time_skipping
    names = ("delay_wait_then_arrived", "delay_expedited", "delay_remainder_cancelled", "delay_substituted")
    paths = [HISTORIES / f"purchase_order_{n}.json" for n in names]
    if any(should_record(p) for p in paths):
        desk = open_desk(factory, lead_days=7, grace_days=2)
        other = factory.supplier(payment_terms="IMMEDIATE")
        factory.supplier_price(other, desk.item, D("11.00"))
        async with build_worker(env.client, engine, task_queue):
            # Wait, late again, then everything arrives: the second delay task is dropped as moot.
            po, handle = await issued(env, engine, desk, task_queue)
            task_id = await _delayed(env, engine, handle, po.number)
            new_date = await today(env) + timedelta(days=5)
            await decide(
                handle, desk, "buyer", ["buyer"], task_id, "wait", payload={"new_date": str(new_date)}
            )
            await reach(handle, "issued")
            await _delayed(env, engine, handle, po.number)
            await receive(env, handle, desk, f"DN-{po.number}", "10")
            await invoiced(env, handle, desk, f"INV-{po.number}", "10", "10.00")
            assert await handle.result() == "closed"
            save(await handle.fetch_history(), paths[0])

            po, handle = await issued(env, engine, desk, task_queue)
            task_id = await _delayed(env, engine, handle, po.number)
            await decide(handle, desk, "buyer", ["buyer"], task_id, "expedite", payload={})
            await reach(handle, "issued")
            await receive(env, handle, desk, f"DN-{po.number}", "10")
            await invoiced(env, handle, desk, f"INV-{po.number}", "10", "10.00")
            assert await handle.result() == "closed"
            save(await handle.fetch_history(), paths[1])

            po, handle = await issued(env, engine, desk, task_queue)
            await receive(env, handle, desk, f"DN-{po.number}", "4")
            task_id = await _delayed(env, engine, handle, po.number)
            await decide(handle, desk, "buyer", ["buyer"], task_id, "cancel_remainder", payload={})
            await reach(handle, "matching")
            await invoiced(env, handle, desk, f"INV-{po.number}", "4", "10.00")
            assert await handle.result() == "closed"
            save(await handle.fetch_history(), paths[2])

            po, handle = await issued(env, engine, desk, task_queue)
            await receive(env, handle, desk, f"DN-{po.number}", "3")
            task_id = await _delayed(env, engine, handle, po.number)
            await decide(
                handle, desk, "buyer", ["buyer"], task_id, "substitute", payload={"supplier_id": other.id}
            )
            status = await reach(handle, "matching")
            await invoiced(env, handle, desk, f"INV-{po.number}", "3", "10.00")
            assert await handle.result() == "closed"
            save(await handle.fetch_history(), paths[3])
            await env.client.get_workflow_handle(f"PO-{status.child_numbers[0]}").cancel()
    for path in paths:
        await _replays(path)


async def test_match_exceptions_rejected_matched_on_arrival_and_past_the_deadline(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    env = time_skipping
    names = ("match_rejected_then_paid", "match_waited_then_matched", "match_wait_deadline_passed")
    paths = [HISTORIES / f"purchase_order_{n}.json" for n in names]
    if any(should_record(p) for p in paths):
        desk = open_desk(factory, lead_days=30)
        async with build_worker(env.client, engine, task_queue):
            po, handle = await issued(env, engine, desk, task_queue)
            await receive(env, handle, desk, f"DN-{po.number}", "10")
            assert (await invoiced(env, handle, desk, f"A-{po.number}", "10", "11.00")).status == "exception"
            task = await task_of(engine, po.number, "match_exception")
            await decide(
                handle, desk, "clerk", ["ap_clerk"], task["id"], "reject", comment="price not agreed"
            )
            await reach(handle, "matching")
            assert (await invoiced(env, handle, desk, f"B-{po.number}", "10", "10.15")).status == "matched"
            assert await handle.result() == "closed"
            save(await handle.fetch_history(), paths[0])

            po, handle = await issued(env, engine, desk, task_queue)
            await receive(env, handle, desk, f"DN1-{po.number}", "5")
            await invoiced(env, handle, desk, f"W-{po.number}", "10", "10.00")
            task = await task_of(engine, po.number, "match_exception")
            await decide(
                handle, desk, "clerk", ["ap_clerk"], task["id"], "wait_for_receipt", payload={"days": 7}
            )
            await reach(handle, "receiving")
            await receive(env, handle, desk, f"DN2-{po.number}", "5")
            assert await handle.result() == "closed"
            save(await handle.fetch_history(), paths[1])

            po, handle = await issued(env, engine, desk, task_queue)
            await receive(env, handle, desk, f"DN1-{po.number}", "5")
            await invoiced(env, handle, desk, f"L-{po.number}", "10", "10.00")
            task = await task_of(engine, po.number, "match_exception")
            await decide(
                handle, desk, "clerk", ["ap_clerk"], task["id"], "wait_for_receipt", payload={"days": 3}
            )
            await env.sleep(timedelta(days=4))  # the deadline passes: the invoice is an exception again
            await reach(handle, "exception")
            save(await handle.fetch_history(), paths[2])  # stopped while the AP clerks decide
            await handle.cancel()
    for path in paths:
        await _replays(path)
