"""The database refuses to issue an approved PO and it parks on an admin task, which nobody takes over a
weekend. The needs-attention service level (8 hours, admins are the top: reminders only) records a
reminder after 4 hours and another every 8 hours after that; when an admin fixes the cause and retries,
the PO is issued and the reminders stop. Timers run on the time-skipping server."""

import re
from datetime import timedelta

from sqlalchemy import Engine, text
from temporalio.testing import WorkflowEnvironment

from models.contracts.tasks import DecisionRequest
from tests.factories import Factory
from tests.inbox import audited
from tests.purchasing.buyer_desk import open_desk, open_task
from tests.purchasing.clock import decide, reach, start, task_of, until
from worker import build_worker
from workflows.purchasing.purchase_order import PurchaseOrderWorkflow


async def test_a_stuck_po_nobody_retries_is_reminded_until_an_admin_does(
    time_skipping: WorkflowEnvironment,
    engine: Engine,
    owner_engine: Engine,
    factory: Factory,
    task_queue: str,
) -> None:
    env = time_skipping
    desk = open_desk(factory)
    async with build_worker(env.client, engine, task_queue):
        po, handle = await start(env, engine, desk, task_queue)
        approval = await task_of(engine, po.number, "po_approval")
        # Only this PO breaks the rule the DBA added, so nothing else notices it.
        hold = f"hold_{re.sub(r'[^a-z0-9]', '_', po.number.lower())}"
        with owner_engine.begin() as c:
            c.execute(
                text(
                    f"ALTER TABLE purchase_order ADD CONSTRAINT {hold}"
                    f" CHECK (number <> '{po.number}' OR stage <> 'issued') NOT VALID"
                )
            )
        try:
            await decide(handle, desk, "approver", ["approver"], approval["id"], "approve", revision=1)
            stuck = await task_of(engine, po.number, "needs_attention")

            await env.sleep(timedelta(hours=5))
            await until(lambda: audited(engine, "task.reminder", stuck["id"]) == 1, "a reminder")
            await env.sleep(timedelta(hours=8))
            await until(lambda: audited(engine, "task.reminder", stuck["id"]) == 2, "the next reminder")
            assert audited(engine, "task.escalated", stuck["id"]) == 0
            assert open_task(engine, po.number, "needs_attention") is not None
        finally:
            with owner_engine.begin() as c:
                c.execute(text(f"ALTER TABLE purchase_order DROP CONSTRAINT IF EXISTS {hold}"))
        await handle.execute_update(
            PurchaseOrderWorkflow.decide,
            DecisionRequest(task_id=stuck["id"], decision="retry", actor="root", actor_roles=["admin"]),
        )
        assert (await reach(handle, "issued")).pending_on == "supplier"
        await env.sleep(timedelta(hours=16))
        assert audited(engine, "task.reminder", stuck["id"]) == 2
        await handle.terminate("test done")
