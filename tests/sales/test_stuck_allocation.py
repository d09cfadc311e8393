"""A web order cannot reserve its stock: the stock rows stay locked (SQLSTATE 55P03, a transient failure) for
longer than the retry budget. The allocation gives up after its bounded retries and the order asks an admin
(stage needs_attention, a task naming the step and the lock) instead of retrying for ever; once the lock is
gone the admin's "retry" allocates the order."""

import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Engine, text
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from models.contracts.tasks import DecisionRequest
from tests.factories import Factory
from tests.sales.shop import active_reservations, add_item, open_shop, priced_order, receive
from worker import build_worker
from workflows import search_attributes as sa
from workflows.sales.order import OrderWorkflow

D = Decimal


def _stuck_task(engine: Engine, number: str) -> dict[str, object] | None:
    with engine.connect() as c:
        row = (
            c.execute(
                text(
                    "SELECT id, title, candidate_role, options FROM task"
                    " WHERE subject_id = :n AND kind = 'needs_attention' AND status = 'open'"
                ),
                {"n": number},
            )
            .mappings()
            .first()
        )
    return dict(row) if row else None


def _status(engine: Engine, number: str) -> str:
    with engine.connect() as c:
        return str(
            c.execute(text("SELECT status FROM sales_order WHERE number = :n"), {"n": number}).scalar()
        )


async def test_allocation_gives_up_after_its_retries_and_waits_for_an_admin(
    time_skipping: WorkflowEnvironment,
    task_queue: str,
    engine: Engine,
    owner_engine: Engine,
    factory: Factory,
) -> None:
    shop = open_shop(factory)
    chair = add_item(factory, shop, "chair", "80.00")
    receive(engine, chair, shop.wh1, "4", "30.00")
    order = priced_order(engine, shop, [(chair.sku, "2")], payment_method="card")
    number = order.order_number
    lock = f"locked_{re.sub(r'[^a-z0-9]', '_', number.lower())}"[:60]
    with owner_engine.begin() as c:
        c.execute(
            text(
                f"CREATE FUNCTION {lock}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                f" RAISE EXCEPTION 'stock rows locked by a count' USING ERRCODE = 'lock_not_available'; END $$"
            )
        )
        c.execute(
            text(
                f"CREATE TRIGGER {lock} BEFORE INSERT ON reservation FOR EACH ROW"
                f" WHEN (NEW.source_id = '{number}') EXECUTE FUNCTION {lock}()"
            )
        )
    client = time_skipping.client
    try:
        async with build_worker(client, engine, task_queue):
            handle = await client.start_workflow(
                OrderWorkflow.run, order, id=f"Order-{number}", task_queue=task_queue
            )
            # The retry budget is minutes of back-off: the time-skipping server runs through it at once.
            for _ in range(40):
                if _stuck_task(engine, number):
                    break
                await time_skipping.sleep(timedelta(minutes=1))
            task = _stuck_task(engine, number)
            assert task is not None, "the order never asked for attention"
            assert task["candidate_role"] == "admin" and task["options"] == ["retry"]
            title = str(task["title"])
            assert title.startswith(f"Order {number} needs attention: step sales.allocate failed")
            assert "retries ran out" in title and "stock rows locked by a count" in title
            assert _status(engine, number) == "needs_attention"
            status = await handle.query(OrderWorkflow.status)
            assert (status.stage, status.pending_on) == ("needs_attention", "admin")
            described = await handle.describe()
            assert described.status == WorkflowExecutionStatus.RUNNING
            assert described.typed_search_attributes.get(sa.STAGE) == "needs_attention"
            assert list(described.raw_description.pending_activities) == []  # nothing retrying any more

            with owner_engine.begin() as c:
                c.execute(text(f"DROP TRIGGER {lock} ON reservation"))
            decided = await handle.execute_update(
                OrderWorkflow.decide,
                DecisionRequest(
                    task_id=int(str(task["id"])), decision="retry", actor="root", actor_roles=["admin"]
                ),
            )
            assert decided.decision == "retry"
            after = await handle.execute_update(OrderWorkflow.sync)
            assert after.stage == "allocated" and after.open_tasks == []
            assert active_reservations(engine, number) == D(2)
            assert _status(engine, number) == "allocated"
            assert _stuck_task(engine, number) is None
    finally:
        with owner_engine.begin() as c:
            c.execute(text(f"DROP TRIGGER IF EXISTS {lock} ON reservation"))
            c.execute(text(f"DROP FUNCTION IF EXISTS {lock}()"))
