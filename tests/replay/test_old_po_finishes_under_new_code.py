"""A buyer's PO was started, and waits for its approval, when the release without any `workflow.patched`
was running (the PO workflow as of commit bc284d5~1, kept in tests/replay/old_code/). The new release is
deployed: the old worker stops, a worker with today's code takes over the same task queue. The approver
approves, the goods arrive, the invoice matches, and the PO closes: its history is the old code's up to
the approval and the new code's after it (any patch marker appears only after the deploy)."""

import importlib.util
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from types import ModuleType

from sqlalchemy import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.registry import build_activities
from models.contracts.purchasing import InvoiceLineIn, InvoiceRequest
from tests.factories import Factory
from tests.purchasing.buyer_desk import draft_input, open_desk
from tests.purchasing.clock import decide, reach, receive, task_of, today
from worker import build_worker
from workflows.purchasing.purchase_order import (
    LIMIT_REQUIRED,
    PAID_BY_RUNS,
    STAGE_BEFORE_RECORD,
    TASK_SLA,
    PurchaseOrderWorkflow,
)

OLD_CODE = Path(__file__).parent / "old_code" / "purchase_order_before_patches.py.txt"


def _old_module() -> ModuleType:
    """The PO workflow module as it was released before the first patch (it imports today's helpers)."""
    spec = importlib.util.spec_from_loader("po_before_patches", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    exec(compile(OLD_CODE.read_text(), str(OLD_CODE), "exec"), module.__dict__)  # our own committed file
    return module


def _patches(events: Sequence[HistoryEvent]) -> list[str]:
    """What the patch markers of a history record (the SDK's `core_patch` markers carry the patch id)."""
    return [
        json.loads(payload.data)["id"]
        for e in events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        for payloads in e.marker_recorded_event_attributes.details.values()
        for payload in payloads.payloads
    ]


async def test_a_po_waiting_under_the_old_code_closes_under_the_new(
    temporal_dev: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    env = temporal_dev
    old = _old_module()
    assert "workflow.patched" not in OLD_CODE.read_text()
    desk = open_desk(factory)
    po = draft_input(engine, desk, "10", order_date=await today(env))
    with ThreadPoolExecutor(max_workers=4) as pool:
        async with Worker(
            env.client,
            task_queue=task_queue,
            workflows=[old.PurchaseOrderWorkflow],
            activities=build_activities(engine, env.client),
            activity_executor=pool,
            workflow_runner=UnsandboxedWorkflowRunner(),
        ):
            handle = await env.client.start_workflow(
                PurchaseOrderWorkflow.run, po, id=po.workflow_id, task_queue=task_queue
            )
            task = await task_of(engine, po.number, "po_approval")
    before = (await handle.fetch_history()).events
    assert _patches(before) == []  # recorded by the old code: no patch marker

    async with build_worker(env.client, engine, task_queue):  # the deploy: today's code, same queue
        await decide(handle, desk, "approver", ["approver"], task["id"], "approve", revision=1)
        await reach(handle, "issued")
        await receive(env, handle, desk, f"DN-{po.number}", "10")
        await handle.execute_update(
            PurchaseOrderWorkflow.submit_invoice,
            InvoiceRequest(
                invoice_number=f"INV-{po.number}",
                invoice_date=await today(env),
                currency="EUR",
                lines=[InvoiceLineIn(line_no=1, qty=Decimal(10), price=Decimal("10.00"))],
                entered_by=desk.name("clerk"),
            ),
        )
        assert await handle.result() == "closed"
    after = (await handle.fetch_history()).events
    assert after[: len(before)] == before  # the old code's history is kept as it was
    assert len(after) > len(before)
    # Which branch the new code takes for this run is not fixed: `workflow.patched` answers False for the
    # rest of a run once it was asked while replaying the old history (that keeps the run deterministic),
    # and True with a marker when first asked on new work. Either way the run closes; a marker, if any, is
    # one of today's patches and comes only after the deploy.
    assert set(_patches(after)) <= {STAGE_BEFORE_RECORD, LIMIT_REQUIRED, TASK_SLA, PAID_BY_RUNS}
