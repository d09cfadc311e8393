"""Sales ops keep a customer's backorder waiting three more days; the goods still do not come, and the
order is overdue again. The second task must be a new one they can decide: it reused the first task's key,
the inbox handed back the task already decided, and nobody could decide the order again (found while the
order workflow was recorded branch by branch). Here they cancel the line's rest on the second task."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from models.contracts.sales import OrderStatus
from models.contracts.tasks import DecisionRequest
from tests.factories import Factory
from tests.histories import save, should_record
from tests.purchasing.clock import until
from tests.sales.shop import add_item, open_shop, priced_order
from worker import build_worker
from workflows.sales.order import OrderWorkflow

# The new branch's history (with its patch marker) for the replay gate.
HISTORY = Path(__file__).parent / "histories" / "web_order_backorder_overdue_twice_line_cancelled.json"


def _tasks(engine: Engine, workflow_id: str) -> list[tuple[int, str]]:
    """(id, status) of the order's tasks, oldest first."""
    with engine.connect() as c:
        rows = c.execute(
            text("SELECT id, status FROM task WHERE workflow_id = :w ORDER BY id"), {"w": workflow_id}
        ).all()
    return [(int(r[0]), str(r[1])) for r in rows]


async def _knows(handle: WorkflowHandle[Any, OrderStatus], task_id: int) -> bool:
    return task_id in (await handle.query(OrderWorkflow.status)).open_tasks


async def until_async(probe: Callable[[], Awaitable[bool]], what: str, timeout: float = 30.0) -> None:
    """Poll an async probe (real time) until it holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await probe():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _open(engine: Engine, workflow_id: str) -> list[int]:
    return [task_id for task_id, status in _tasks(engine, workflow_id) if status == "open"]


async def _decide(
    handle: WorkflowHandle[Any, OrderStatus], task_id: int, decision: str, **payload: Any
) -> None:
    # Decide once the order knows its task: a decision that has to wait for the task's opening waits on a
    # bounded timer, which the time-skipping test server mishandles inside an update ("invalid history builder
    # state for action"; the dev server is fine: tests/workflows/test_decision_before_the_workflow_knows_its_task).
    await until_async(lambda: _knows(handle, task_id), f"the order to know task {task_id}")
    req = DecisionRequest(
        task_id=task_id, decision=decision, actor="sales_ops-1", actor_roles=["sales_ops"], payload=payload
    )
    await handle.execute_update(OrderWorkflow.decide, req)


async def test_a_backorder_overdue_a_second_time_gets_a_task_sales_ops_can_decide(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    vase = add_item(factory, shop, "vase", "30.00")
    order = priced_order(engine, shop, [(vase.sku, "1")])
    async with build_worker(time_skipping.client, engine, task_queue):
        handle = await time_skipping.client.start_workflow(
            OrderWorkflow.run, order, id=f"Order-{order.order_number}", task_queue=task_queue
        )
        assert (await handle.execute_update(OrderWorkflow.sync)).stage == "backordered"
        await time_skipping.sleep(timedelta(days=17))  # promised in 14 days: overdue
        first = (await until(lambda: _open(engine, handle.id) or None, "the first backorder task"))[0]
        await _decide(handle, first, "keep_waiting", days=3)
        await time_skipping.sleep(timedelta(days=4))  # overdue again
        second = (await until(lambda: _open(engine, handle.id) or None, "a second, open task"))[0]
        assert second != first
        await _decide(handle, second, "cancel_line")
        status = await handle.execute_update(OrderWorkflow.sync)
        if should_record(HISTORY):
            save(await handle.fetch_history(), HISTORY)
    assert _tasks(engine, handle.id) == [(first, "decided"), (second, "decided")]
    assert status.stage in ("cancelled", "closed"), status
