"""The nightly run drafts a shirt PO over the apparel budget, so it waits for a buyer's review, and no buyer
looks. The review's default 24-hour service level records a reminder after 12 hours and hands the review
to the controller after 24; buyers can no longer decide it, and the controller rejects the draft. Timers
run on the time-skipping server."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from models.contracts.replenishment import ReplenishmentRunInput
from models.contracts.tasks import DecisionRequest
from models.replenishment import CategoryBudget
from rules.periods import period_of
from tests.factories import Factory
from tests.inbox import audited
from tests.purchasing.clock import until
from tests.replenishment.shop import TEN_DAYS, open_shop, open_task, receive_stock, rows, sell, today
from worker import build_worker
from workflows.replenishment.daily_run import ReplenishmentRunWorkflow, run_workflow_id


def _draft(engine: Engine, entity_id: int) -> str | None:
    found = rows(
        engine,
        "SELECT d.po_number FROM replenishment_draft d JOIN replenishment_run r ON r.id = d.run_id"
        " WHERE r.entity_id = :e AND d.status = 'awaiting_buyer' AND d.task_id IS NOT NULL",
        e=entity_id,
    )
    return str(found[0]["po_number"]) if found else None


async def test_a_review_nobody_takes_goes_to_the_controller(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    entity_id, wh, item_id, _ = shop.ids
    day = today()
    receive_stock(engine, item_id, wh, "70", "5.00", day - timedelta(days=40), f"rs{entity_id}:open")
    sell(engine, item_id, wh, TEN_DAYS, day, f"rs{entity_id}")
    with Session(engine) as s:  # a budget the day's draft (480) overruns
        s.add(
            CategoryBudget(
                entity_id=entity_id, category="apparel", period=period_of(day), amount=Decimal(100)
            )
        )
        s.commit()
    client = time_skipping.client
    async with build_worker(client, engine, task_queue):
        handle = await client.start_workflow(
            ReplenishmentRunWorkflow.run,
            ReplenishmentRunInput(entity_code=shop.entity.code, run_date=day),
            id=run_workflow_id(shop.entity.code, day.isoformat()),
            task_queue=task_queue,
        )
        number = await until(lambda: _draft(engine, entity_id), "a draft over budget")
        review = await until(lambda: open_task(engine, number, "replenishment_review"), "the review task")
        assert review["candidate_role"] == "buyer"

        await time_skipping.sleep(timedelta(hours=13))
        await until(lambda: audited(engine, "task.reminder", review["id"]) == 1, "a reminder")
        await time_skipping.sleep(timedelta(hours=12))
        await until(lambda: audited(engine, "task.escalated", review["id"]) == 1, "the escalation")
        escalated = open_task(engine, number, "replenishment_review")
        assert escalated is not None and escalated["candidate_role"] == "controller"

        buyer, controller = shop.buyer[0], shop.controller[0]
        try:
            await handle.execute_update(
                ReplenishmentRunWorkflow.decide,
                DecisionRequest(task_id=review["id"], decision="approve", actor=buyer, actor_roles=["buyer"]),
            )
            raise AssertionError("a buyer may no longer decide an escalated review")
        except WorkflowUpdateFailedError as exc:
            assert "controller" in str(exc.cause)
        await handle.execute_update(
            ReplenishmentRunWorkflow.decide,
            DecisionRequest(
                task_id=review["id"], decision="reject", actor=controller, actor_roles=["controller"]
            ),
        )
        result = await handle.result()
    assert result.rejected == [number]
