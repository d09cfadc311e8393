"""A trusted customer asks to return a lamp and is refunded at approval, but the card account is closed and the
provider refuses the refund: a task asks sales ops what to do. Nobody decides before the goods deadline, and the
goods never come, so the return expires. Sales ops then pay the customer by bank transfer: the decision is taken
and the return ends expired, instead of waiting for ever on its own lock."""

import asyncio
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

from models.contracts.tasks import DecisionRequest
from services.returns.policy import set_customer_policy
from tests.factories import Factory
from tests.histories import save, should_record
from tests.returns.desk import count, open_desk, return_input, ship_through_workflow
from tests.sales.shop import add_item, receive
from worker import build_worker
from workflows.returns.rma import ReturnWorkflow

D = Decimal
HISTORY = Path(__file__).parent / "histories" / "return_expired_with_failed_refund.json"


async def test_a_failed_early_refund_is_still_decided_after_the_return_expired(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory, payment_provider="sandbox")
    shop = desk.shop
    sales_ops, _ = factory.user("sales_ops", entities=(shop.entity,))
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "5", "12.00")
    with Session(engine) as s:
        set_customer_policy(s, shop.customer.id or 0, True, "controller")
        s.commit()
    client = time_skipping.client
    async with build_worker(client, engine, task_queue):
        order = await ship_through_workflow(
            client, task_queue, engine, shop, lamp.sku, "1", payment_reference="sandbox:refund-fails"
        )
        rma = return_input(engine, shop, order, [(1, "1")])
        assert rma.policy.refund_before_arrival
        handle = await client.start_workflow(
            ReturnWorkflow.run, rma, id=f"Return-{rma.rma_number}", task_queue=task_queue
        )
        waiting = await handle.execute_update(ReturnWorkflow.sync)
        assert waiting.stage == "awaiting_goods"
        task_id = count(
            engine,
            "SELECT id FROM task WHERE kind = 'refund_failed' AND subject_id = :n AND status = 'open'",
            n=rma.rma_number,
        )
        assert task_id > 0  # the refused refund waits on sales ops

        # Let the three-week goods deadline pass with the decision still open.
        await time_skipping.sleep(timedelta(weeks=4))
        assert (await handle.query(ReturnWorkflow.status)).stage == "expired"

        decision = DecisionRequest(
            task_id=task_id, decision="bank_transfer", actor=sales_ops.username, actor_roles=["sales_ops"]
        )
        # Before the fix the expired return held its lock while waiting for this very decision: it never came.
        decided = await asyncio.wait_for(handle.execute_update(ReturnWorkflow.decide, decision), timeout=60)
        assert decided.decision == "bank_transfer"
        ended = await handle.result()
        if should_record(HISTORY):  # the branch replays in tests/replay/
            save(await handle.fetch_history(), HISTORY)
    assert ended.stage == "expired" and ended.refunded == D("35.70")
    assert count(engine, "SELECT count(*) FROM task WHERE id = :t AND status = 'open'", t=task_id) == 0
