"""Two customers ask to return a lamp and never send it. The ordinary customer gets nothing before the goods
arrive; the trusted customer (early-refund policy) is refunded at approval. Three weeks later the goods
deadline passes: both RMAs close as expired, and nothing more is refunded."""

from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

from services.returns.policy import set_customer_policy
from tests.factories import Factory
from tests.returns.desk import count, open_desk, return_input, ship_through_workflow
from tests.sales.shop import add_item, receive
from worker import build_worker
from workflows.returns.rma import ReturnWorkflow

D = Decimal


async def test_no_goods_by_the_deadline_expires_and_early_refund_only_for_the_trusted(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    shop = desk.shop
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "5", "12.00")
    client = time_skipping.client
    async with build_worker(client, engine, task_queue):
        plain_order = await ship_through_workflow(client, task_queue, engine, shop, lamp.sku, "1")
        trusted_order = await ship_through_workflow(client, task_queue, engine, shop, lamp.sku, "1")

        plain = return_input(engine, shop, plain_order, [(1, "1")])
        assert not plain.policy.refund_before_arrival  # the web channel's default
        with Session(engine) as s:
            set_customer_policy(s, shop.customer.id or 0, True, "controller")
            s.commit()
        trusted = return_input(engine, shop, trusted_order, [(1, "1")])
        assert trusted.policy.refund_before_arrival

        handles = [
            await client.start_workflow(
                ReturnWorkflow.run, rma, id=f"Return-{rma.rma_number}", task_queue=task_queue
            )
            for rma in (plain, trusted)
        ]
        waiting = [await h.execute_update(ReturnWorkflow.sync) for h in handles]
        assert [(w.stage, w.refunded) for w in waiting] == [
            ("awaiting_goods", D(0)),
            ("awaiting_goods", D("35.70")),
        ]
        assert "refunded before arrival" in waiting[1].pending_on

        ended = [await h.result() for h in handles]  # the test server skips the three weeks
    assert [e.stage for e in ended] == ["expired", "expired"]
    assert ended[0].refunded == 0 and ended[1].refunded == D("35.70")
    for rma, notes in ((plain.rma_number, 0), (trusted.rma_number, 1)):
        assert count(engine, "SELECT count(*) FROM credit_note WHERE number = :n", n=f"CN-{rma}") == notes
        assert (
            count(
                engine,
                "SELECT count(*) FROM return_authorisation WHERE rma_number = :n AND stage = 'expired'",
                n=rma,
            )
            == 1
        )
    assert (
        count(
            engine,
            "SELECT count(*) FROM sales_payment WHERE payment_key LIKE :k",
            k=f"return:{plain.rma_number}:%",
        )
        == 0
    )
