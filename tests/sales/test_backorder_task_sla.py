"""A vase is backordered with no supplier in sight; when its decision falls due, sales ops gets the task and
leaves it. The backorder's default 48-hour service level reminds them after a day and hands the task to
the controller after two; sales ops can no longer decide it, the controller cancels the line and the order
ends cancelled. Timers run on the time-skipping server."""

from datetime import timedelta

from sqlalchemy import Engine, text
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from models.contracts.tasks import DecisionRequest
from tests.factories import Factory
from tests.inbox import audited
from tests.purchasing.clock import until
from tests.sales.shop import add_item, open_shop, priced_order
from worker import build_worker
from workflows.sales.order import OrderWorkflow


def _task(engine: Engine, workflow_id: str) -> tuple[int, str, int] | None:
    with engine.connect() as c:
        row = c.execute(
            text(
                "SELECT id, candidate_role, escalation_level FROM task WHERE workflow_id = :w AND status = 'open'"
            ),
            {"w": workflow_id},
        ).first()
    return (int(row[0]), str(row[1]), int(row[2])) if row else None


async def test_an_overdue_backorder_nobody_decides_goes_to_the_controller(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    vase = add_item(factory, shop, "vase", "30.00")
    client = time_skipping.client
    async with build_worker(client, engine, task_queue):
        order = priced_order(engine, shop, [(vase.sku, "1")])
        handle = await client.start_workflow(
            OrderWorkflow.run, order, id=f"Order-{order.order_number}", task_queue=task_queue
        )
        assert (await handle.execute_update(OrderWorkflow.sync)).stage == "backordered"
        # No supplier: promised in 14 days, the decision due 2 days later (at midnight).
        await time_skipping.sleep(timedelta(days=16))
        found = await until(lambda: _task(engine, handle.id), "the backorder task")
        task_id, role, level = found
        assert (role, level) == ("sales_ops", 0)
        start = await time_skipping.get_current_time()
        opened_at = start.replace(hour=0, minute=0, second=0, microsecond=0)

        await time_skipping.sleep(opened_at + timedelta(hours=25) - start)
        await until(lambda: audited(engine, "task.reminder", task_id) == 1, "a reminder")
        await time_skipping.sleep(timedelta(hours=24))
        await until(lambda: _task(engine, handle.id) == (task_id, "controller", 1), "the escalation")

        refused = DecisionRequest(
            task_id=task_id, decision="cancel_line", actor="sam", actor_roles=["sales_ops"]
        )
        try:
            await handle.execute_update(OrderWorkflow.decide, refused)
            raise AssertionError("sales ops may no longer decide an escalated backorder")
        except WorkflowUpdateFailedError as exc:
            assert "controller" in str(exc.cause)
        await handle.execute_update(
            OrderWorkflow.decide,
            DecisionRequest(
                task_id=task_id, decision="cancel_line", actor="carla", actor_roles=["controller"]
            ),
        )
        final = await handle.result()
    assert final.stage == "cancelled"
