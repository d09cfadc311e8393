"""A customer returns a 150 EUR heater, above the web channel's auto-approval value, and nobody in sales ops
approves it. The return approval's default 24-hour service level records a reminder after 12 hours and
hands the task to the controller after 24; sales ops can no longer decide it, the controller approves and
the return waits for the goods. Timers run on the time-skipping server."""

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from models.contracts.tasks import DecisionRequest
from tests.factories import Factory
from tests.histories import save, should_record
from tests.inbox import audited
from tests.purchasing.clock import until
from tests.returns.desk import open_desk, return_input, ship_through_workflow
from tests.sales.shop import add_item, receive
from worker import build_worker
from workflows.returns.rma import ReturnWorkflow

HISTORY = Path(__file__).parent / "histories" / "return_approval_escalated.json"


def _task(engine: Engine, rma: str) -> dict[str, Any] | None:
    with engine.connect() as c:
        row = (
            c.execute(
                text(
                    "SELECT id, candidate_role, escalation_level, due_at FROM task"
                    " WHERE subject_id = :r AND kind = 'return_approval' AND status = 'open'"
                ),
                {"r": rma},
            )
            .mappings()
            .first()
        )
    return dict(row) if row else None


def _decision(task_id: int, actor: str, roles: list[str]) -> DecisionRequest:
    return DecisionRequest(task_id=task_id, decision="approve", actor=actor, actor_roles=roles)


async def test_an_unapproved_return_is_reminded_then_goes_to_the_controller(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    shop = desk.shop
    heater = add_item(factory, shop, "heater", "150.00")
    receive(engine, heater, shop.wh1, "2", "60.00")
    client = time_skipping.client
    async with build_worker(client, engine, task_queue):
        order = await ship_through_workflow(client, task_queue, engine, shop, heater.sku, "1")
        rma = return_input(engine, shop, order, [(1, "1")])
        handle = await client.start_workflow(
            ReturnWorkflow.run, rma, id=f"Return-{rma.rma_number}", task_queue=task_queue
        )
        assert (await handle.execute_update(ReturnWorkflow.sync)).stage == "approval"
        task = await until(lambda: _task(engine, rma.rma_number), "the approval task")
        assert task["candidate_role"] == "sales_ops" and task["due_at"] is not None

        await time_skipping.sleep(timedelta(hours=13))
        await until(lambda: audited(engine, "task.reminder", task["id"]) == 1, "a reminder")
        await time_skipping.sleep(timedelta(hours=12))
        escalated = await until(
            lambda: (t := _task(engine, rma.rma_number)) and t["escalation_level"] == 1 and t,
            "the escalation",
        )
        assert escalated["id"] == task["id"] and escalated["candidate_role"] == "controller"
        assert audited(engine, "task.escalated", task["id"]) == 1

        try:
            await handle.execute_update(ReturnWorkflow.decide, _decision(task["id"], "sam", ["sales_ops"]))
            raise AssertionError("sales ops may no longer decide an escalated return")
        except WorkflowUpdateFailedError as exc:
            assert "controller" in str(exc.cause)
        decided = await handle.execute_update(
            ReturnWorkflow.decide, _decision(task["id"], "carla", ["controller"])
        )
        assert decided.stage == "awaiting_goods"
        await handle.terminate("test done")
        if should_record(HISTORY):  # the replay gate keeps the escalated approval replaying
            save(await handle.fetch_history(), HISTORY)
