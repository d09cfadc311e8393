"""Nobody approves a PO: half-way through the 24-hour SLA a reminder is recorded, at the SLA the task
escalates to the controller (visible in the inbox, search attributes and details); the original approver
can no longer decide it; the controller approves and the PO is issued."""

from datetime import timedelta

from sqlalchemy import Engine, text
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from tests.factories import Factory
from tests.purchasing.buyer_desk import open_desk, open_task
from tests.purchasing.clock import decide, reach, start, task_of, until
from worker import build_worker
from workflows.search_attributes import PENDING_ON, STAGE


def _reminders(engine: Engine, number: str) -> int:
    with engine.connect() as c:
        return int(
            c.execute(
                text("SELECT count(*) FROM audit_event WHERE subject_id = :n AND action = 'task.reminder'"),
                {"n": number},
            ).scalar_one()
        )


async def test_an_overdue_approval_is_reminded_then_escalated(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    desk = open_desk(factory, sla_hours=24, escalation={"approver": "controller"})
    async with build_worker(time_skipping.client, engine, task_queue):
        po, handle = await start(time_skipping, engine, desk, task_queue)
        task = await task_of(engine, po.number, "po_approval")
        assert task["candidate_role"] == "approver"

        await time_skipping.sleep(timedelta(hours=13))
        await until(lambda: _reminders(engine, po.number) == 1, "a reminder")
        assert open_task(engine, po.number, "po_approval") == task  # reminded, not yet escalated

        await time_skipping.sleep(timedelta(hours=12))
        escalated = await until(
            lambda: (t := open_task(engine, po.number, "po_approval")) and t["escalation_level"] == 1 and t,
            "escalation",
        )
        assert escalated["id"] == task["id"] and escalated["candidate_role"] == "controller"
        described = await handle.describe()
        attrs = described.typed_search_attributes
        assert attrs.get(STAGE) == "approval" and attrs.get(PENDING_ON) == "controller"

        try:
            await decide(handle, desk, "approver", ["approver"], task["id"], "approve", revision=1)
            raise AssertionError("the approver may no longer decide an escalated task")
        except WorkflowUpdateFailedError as exc:
            assert "controller" in str(exc.cause)
        await decide(handle, desk, "controller", ["controller"], task["id"], "approve", revision=1)
        assert (await reach(handle, "issued")).pending_on == "supplier"
        await handle.cancel()
