"""Backorders: a line short of stock is promised the inbound PO's date, moved when the supplier is late,
and filled when the goods arrive; a backorder past its deadline goes to sales ops, who substitute
another SKU or cancel the line (timers run on the time-skipping server)."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Engine, text
from temporalio.testing import WorkflowEnvironment

from activities.inbound import InboundActivities
from models.contracts.inbound import InboundLine, InboundNotice
from models.contracts.tasks import DecisionRequest
from tests.factories import Factory
from tests.sales.shop import active_reservations, add_item, inbound_po, open_shop, priced_order, receive
from worker import build_worker
from workflows.sales.order import OrderWorkflow

D = Decimal


def _open_task(engine: Engine, workflow_id: str) -> tuple[int, str]:
    with engine.connect() as c:
        row = c.execute(
            text("SELECT id, kind FROM task WHERE workflow_id = :w AND status = 'open'"), {"w": workflow_id}
        ).one()
    return int(row[0]), str(row[1])


def _decide(task_id: int, decision: str, **payload: str) -> DecisionRequest:
    return DecisionRequest(
        task_id=task_id, decision=decision, actor="sam", actor_roles=["sales_ops"], payload=dict(payload)
    )


async def test_backorder_follows_the_linked_po_and_wakes_on_goods_receipt(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    kettle = add_item(factory, shop, "kettle", "40.00")
    assert kettle.id is not None
    expected = date.today() + timedelta(days=6)
    po_number = inbound_po(engine, factory, shop, kettle.id, expected)
    order = priced_order(engine, shop, [(kettle.sku, "2")], external_id="bo-1")
    client = time_skipping.client
    async with build_worker(client, engine, task_queue):
        handle = await client.start_workflow(
            OrderWorkflow.run, order, id=f"Order-{order.order_number}", task_queue=task_queue
        )
        status = await handle.execute_update(OrderWorkflow.sync)
        assert status.stage == "backordered" and po_number in status.pending_on
        assert status.lines[0].promised_date == expected

        # The supplier is two days late: purchasing tells every waiter; the promise moves.
        notify = InboundActivities(engine, client).notify
        later = expected + timedelta(days=2)
        told = await notify(
            InboundNotice(
                kind="revised",
                po_number=po_number,
                expected_date=later,
                lines=[InboundLine(item_id=kettle.id, location_id=shop.wh2.id or 0)],
            )
        )
        assert told.notified == 1
        status = await handle.execute_update(OrderWorkflow.sync)
        assert status.lines[0].promised_date == later

        # Goods received on the PO: stock in, notice out, the backorder reserves it.
        receive(engine, kettle, shop.wh2, "10", "11.00")
        await notify(
            InboundNotice(
                kind="arrived",
                po_number=po_number,
                lines=[InboundLine(item_id=kettle.id, location_id=shop.wh2.id or 0, qty=D(10))],
            )
        )
        status = await handle.execute_update(OrderWorkflow.sync)
        assert (
            status.stage == "allocated"
            and status.lines[0].reserved == D(2)
            and status.lines[0].backordered == 0
        )
        assert active_reservations(engine, order.order_number) == D(2)
        with engine.connect() as c:
            assert c.execute(
                text(
                    "SELECT l.promised_date, l.qty_backordered, l.status FROM sales_order_line l JOIN sales_order"
                    " o ON o.id = l.order_id WHERE o.number = :n"
                ),
                {"n": order.order_number},
            ).one() == (later, D(0), "allocated")
            assert (
                c.execute(
                    text("SELECT count(*) FROM stock_waiter WHERE workflow_id = :w AND status = 'waiting'"),
                    {"w": handle.id},
                ).scalar()
                == 0
            )
        await handle.terminate("test done")


async def test_overdue_backorder_goes_to_sales_ops_who_substitute_or_cancel(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    vase = add_item(factory, shop, "vase", "30.00")
    urn = add_item(factory, shop, "urn", "35.00")
    receive(engine, urn, shop.wh1, "5", "12.00")
    client = time_skipping.client
    async with build_worker(client, engine, task_queue):
        subst = priced_order(engine, shop, [(vase.sku, "1")], external_id="bo-2")
        gone = priced_order(engine, shop, [(vase.sku, "1")], external_id="bo-3")
        h1 = await client.start_workflow(
            OrderWorkflow.run, subst, id=f"Order-{subst.order_number}", task_queue=task_queue
        )
        h2 = await client.start_workflow(
            OrderWorkflow.run, gone, id=f"Order-{gone.order_number}", task_queue=task_queue
        )
        for h in (h1, h2):
            assert (await h.execute_update(OrderWorkflow.sync)).stage == "backordered"
        # No supplier: promised in 14 days; the decision is due 2 days later.
        await time_skipping.sleep(timedelta(days=17))
        for h in (h1, h2):
            status = await h.execute_update(OrderWorkflow.sync)
            assert status.pending_on == "sales_ops" and len(status.open_tasks) == 1

        task_id, kind = _open_task(engine, h1.id)
        assert kind == "backorder"
        done = await h1.execute_update(OrderWorkflow.decide, _decide(task_id, "substitute", sku=urn.sku))
        assert done.stage == "allocated"
        status = await h1.execute_update(OrderWorkflow.sync)
        assert [(ln.sku, ln.cancelled, ln.reserved) for ln in status.lines] == [
            (vase.sku, D(1), D(0)),
            (urn.sku, D(0), D(1)),
        ]
        # Done with h1 before h2.result() lets the test server skip time (h1's own timers would fire).
        await h1.terminate("test done")

        task_id, _ = _open_task(engine, h2.id)
        await h2.execute_update(OrderWorkflow.decide, _decide(task_id, "cancel_line"))
        final = await h2.result()
        assert final.stage == "cancelled"
        with engine.connect() as c:
            assert c.execute(
                text(
                    "SELECT kind FROM sales_payment p JOIN sales_order o ON o.id = p.order_id"
                    " WHERE o.number = :n ORDER BY p.id"
                ),
                {"n": gone.order_number},
            ).scalars().all() == ["authorise", "void"]
