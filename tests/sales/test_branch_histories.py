"""A release manager wants every branch of the sales order in the replay gate before its workflow is moved
around: a backorder whose inbound PO is late and then arrives, an overdue backorder substituted by another
SKU, one kept waiting, overdue again, escalated and its line cancelled, a short pick re-allocated and a
broken unit nobody can replace (split shipment), a cancellation before shipment, a bank transfer paid in
time and one never paid, an order partly shipped and then cancelled from Temporal, a store sale and one the
store cannot fill, a marketplace order, and a lapsed card whose renewal is declined and a new card pays.
A step stuck for good (the stock rows stay locked) parks the order on an admin, whose retry lets it go on.
Each scenario runs for real (timers on the time-skipping server); its history is recorded the first time
(or with ERP_RECORD_HISTORIES=1) under tests/sales/histories/, and the committed file replays on today's code."""

import asyncio
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.client import WorkflowFailureError, WorkflowHandle, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from activities.inbound import InboundActivities
from erp.sandbox_runner import GuardedSandboxRunner
from models.contracts.inbound import InboundLine, InboundNotice
from models.contracts.sales import (
    CancelRequest,
    OrderInput,
    OrderStatus,
    PaymentReceived,
    WarehouseEvent,
)
from models.contracts.tasks import DecisionRequest
from tests.factories import Factory
from tests.histories import save, should_record
from tests.purchasing.clock import until
from tests.sales.shop import add_item, bearer, inbound_po, open_shop, order_body, priced_order, receive
from worker import build_worker
from workflows.registry import WORKFLOWS
from workflows.sales.order import OrderWorkflow

D = Decimal
HISTORIES = Path(__file__).parent / "histories"
Handle = WorkflowHandle[Any, OrderStatus]


async def _replays(path: Path) -> None:
    """The committed history is a sales order's and replays with today's code."""
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    assert history.events[0].workflow_execution_started_event_attributes.workflow_type.name == "SalesOrder"
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=GuardedSandboxRunner()
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


async def _start(env: WorkflowEnvironment, order: OrderInput, task_queue: str) -> Handle:
    """Start the order's workflow the way the API does."""
    return await env.client.start_workflow(
        OrderWorkflow.run, order, id=f"Order-{order.order_number}", task_queue=task_queue
    )


def _open_task(engine: Engine, workflow_id: str) -> tuple[int, str, str, int] | None:
    """(id, kind, role, escalation level) of the order's open task, if any."""
    with engine.connect() as c:
        row = c.execute(
            text(
                "SELECT id, kind, candidate_role, escalation_level FROM task"
                " WHERE workflow_id = :w AND status = 'open' ORDER BY id"
            ),
            {"w": workflow_id},
        ).first()
    return (int(row[0]), str(row[1]), str(row[2]), int(row[3])) if row else None


async def _task(engine: Engine, handle: Handle, what: str) -> tuple[int, str, str, int]:
    """Wait for the order's open task."""
    return await until(lambda: _open_task(engine, handle.id), what)


async def _decide(
    handle: Handle, task_id: int, decision: str, role: str = "sales_ops", **payload: Any
) -> None:
    """A person of the role decides the order's task."""
    req = DecisionRequest(
        task_id=task_id, decision=decision, actor=f"{role}-1", actor_roles=[role], payload=dict(payload)
    )
    await handle.execute_update(OrderWorkflow.decide, req)


async def _ship(handle: Handle, location_id: int | None) -> OrderStatus:
    """Picked, packed and shipped at one location."""
    assert location_id is not None
    for kind in ("picked", "packed"):
        await handle.execute_update(
            OrderWorkflow.warehouse_event, WarehouseEvent(kind=kind, location_id=location_id)
        )
    shipped = WarehouseEvent(kind="shipped", location_id=location_id, carrier="DHL", tracking="1234567891")
    return await handle.execute_update(OrderWorkflow.warehouse_event, shipped)


async def test_a_backorder_follows_a_late_po_and_ships_on_arrival(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    path = HISTORIES / "web_order_backorder_revised_then_arrived.json"
    if should_record(path):
        shop = open_shop(factory)
        kettle = add_item(factory, shop, "kettle", "40.00")
        assert kettle.id is not None
        expected = date.today() + timedelta(days=6)
        po_number = inbound_po(engine, factory, shop, kettle.id, expected)
        client = time_skipping.client
        async with build_worker(client, engine, task_queue):
            handle = await _start(time_skipping, priced_order(engine, shop, [(kettle.sku, "2")]), task_queue)
            assert (await handle.execute_update(OrderWorkflow.sync)).stage == "backordered"
            notify = InboundActivities(engine, client).notify
            line = InboundLine(item_id=kettle.id, location_id=shop.wh2.id or 0)
            later = expected + timedelta(days=2)
            await notify(
                InboundNotice(kind="revised", po_number=po_number, expected_date=later, lines=[line])
            )
            assert (await handle.execute_update(OrderWorkflow.sync)).lines[0].promised_date == later
            receive(engine, kettle, shop.wh2, "10", "11.00")
            arrived = line.model_copy(update={"qty": D(10)})
            await notify(InboundNotice(kind="arrived", po_number=po_number, lines=[arrived]))
            assert (await handle.execute_update(OrderWorkflow.sync)).stage == "allocated"
            assert (await _ship(handle, shop.wh2.id)).stage == "closed"
            assert (await handle.result()).stage == "closed"
            save(await handle.fetch_history(), path)
    await _replays(path)


async def test_an_overdue_backorder_is_substituted_and_ships(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    path = HISTORIES / "web_order_backorder_substituted.json"
    if should_record(path):
        shop = open_shop(factory)
        vase = add_item(factory, shop, "vase", "30.00")
        urn = add_item(factory, shop, "urn", "35.00")
        receive(engine, urn, shop.wh1, "5", "12.00")
        async with build_worker(time_skipping.client, engine, task_queue):
            handle = await _start(time_skipping, priced_order(engine, shop, [(vase.sku, "1")]), task_queue)
            assert (await handle.execute_update(OrderWorkflow.sync)).stage == "backordered"
            await time_skipping.sleep(timedelta(days=17))  # promised in 14 days, decided 2 days later
            task = await _task(engine, handle, "the backorder task")
            await _decide(handle, task[0], "substitute", sku=urn.sku)
            assert (await handle.execute_update(OrderWorkflow.sync)).stage == "allocated"
            assert (await _ship(handle, shop.wh1.id)).stage == "closed"
            assert (await handle.result()).stage == "closed"
            save(await handle.fetch_history(), path)
    await _replays(path)


async def test_a_backorder_kept_waiting_gets_its_goods_and_one_overdue_again_waits(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    paths = [
        HISTORIES / f"web_order_backorder_kept_waiting_{n}.json" for n in ("then_arrived", "overdue_again")
    ]
    if any(should_record(p) for p in paths):
        shop = open_shop(factory)
        vase = add_item(factory, shop, "vase", "30.00")
        assert vase.id is not None
        async with build_worker(time_skipping.client, engine, task_queue):
            kept = await _start(time_skipping, priced_order(engine, shop, [(vase.sku, "1")]), task_queue)
            late = await _start(time_skipping, priced_order(engine, shop, [(vase.sku, "1")]), task_queue)
            for handle in (kept, late):
                assert (await handle.execute_update(OrderWorkflow.sync)).stage == "backordered"
            await time_skipping.sleep(timedelta(days=17))  # promised in 14 days, decided 2 days later
            for handle, days in ((kept, 10), (late, 3)):
                task = await _task(engine, handle, "the backorder task")
                await _decide(handle, task[0], "keep_waiting", days=days)
            await time_skipping.sleep(timedelta(days=4))  # `late` is overdue again, `kept` still waits
            assert (await late.execute_update(OrderWorkflow.sync)).pending_on == "sales_ops"
            save(await late.fetch_history(), paths[1])  # stopped while sales ops decide again
            await late.terminate("recorded")
            receive(engine, vase, shop.wh1, "2", "12.00")
            line = InboundLine(item_id=vase.id, location_id=shop.wh1.id or 0, qty=D(2))
            await kept.signal(
                OrderWorkflow.inbound_changed, InboundNotice(kind="arrived", po_number=None, lines=[line])
            )
            assert (await kept.execute_update(OrderWorkflow.sync)).stage == "allocated"
            assert (await _ship(kept, shop.wh1.id)).stage == "closed"
            assert (await kept.result()).stage == "closed"
            save(await kept.fetch_history(), paths[0])
    for path in paths:
        await _replays(path)


async def test_an_overdue_backorder_nobody_decides_escalates_and_the_controller_cancels_its_line(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    path = HISTORIES / "web_order_backorder_escalated_line_cancelled.json"
    if should_record(path):
        shop = open_shop(factory)
        vase = add_item(factory, shop, "vase", "30.00")
        bowl = add_item(factory, shop, "bowl", "10.00")
        receive(engine, bowl, shop.wh1, "3", "4.00")
        async with build_worker(time_skipping.client, engine, task_queue):
            order = priced_order(engine, shop, [(vase.sku, "1"), (bowl.sku, "1")])
            handle = await _start(time_skipping, order, task_queue)
            assert (await handle.execute_update(OrderWorkflow.sync)).stage == "backordered"
            await time_skipping.sleep(timedelta(days=17))
            task = await _task(engine, handle, "the backorder task")
            await time_skipping.sleep(timedelta(hours=50))  # reminded after a day, escalated after two
            await until(lambda: (t := _open_task(engine, handle.id)) and t[3] == 1 and t, "the escalation")
            await _decide(handle, task[0], "cancel_line", role="controller")
            assert (await _ship(handle, shop.wh1.id)).stage == "closed"
            assert (await handle.result()).stage == "closed"
            save(await handle.fetch_history(), path)
    await _replays(path)


async def test_a_short_pick_is_reallocated_and_a_broken_unit_ends_in_a_cancelled_line(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    path = HISTORIES / "web_order_short_pick_damaged_split_shipment.json"
    if should_record(path):
        shop = open_shop(factory)
        plate = add_item(factory, shop, "plate", "12.00")
        bowl = add_item(factory, shop, "bowl", "10.00")
        receive(engine, plate, shop.wh1, "5", "4.00")
        receive(engine, plate, shop.wh2, "3", "4.00")
        receive(engine, bowl, shop.wh1, "1", "3.00")
        wh1, wh2 = shop.wh1.id or 0, shop.wh2.id or 0
        async with build_worker(time_skipping.client, engine, task_queue):
            order = priced_order(engine, shop, [(plate.sku, "4"), (bowl.sku, "1")])
            handle = await _start(time_skipping, order, task_queue)
            assert (await handle.execute_update(OrderWorkflow.sync)).stage == "allocated"
            short = WarehouseEvent(kind="short_pick", location_id=wh1, line_no=1, qty=D(2))
            assert (await handle.execute_update(OrderWorkflow.warehouse_event, short)).stage == "allocated"
            broken = WarehouseEvent(kind="damaged", location_id=wh1, line_no=2, qty=D(1))
            assert (await handle.execute_update(OrderWorkflow.warehouse_event, broken)).stage == "backordered"
            task = await _task(engine, handle, "the fulfilment exception")
            assert task[1] == "fulfillment_exception"
            await _decide(handle, task[0], "cancel_line")
            assert (await _ship(handle, wh1)).stage == "shipped"
            assert (await _ship(handle, wh2)).stage == "closed"
            assert (await handle.result()).stage == "closed"
            save(await handle.fetch_history(), path)
    await _replays(path)


async def test_an_order_cancelled_before_shipment(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    path = HISTORIES / "web_order_cancelled_before_shipment.json"
    if should_record(path):
        shop = open_shop(factory)
        lamp = add_item(factory, shop, "lamp", "50.00")
        receive(engine, lamp, shop.wh1, "1", "20.00")
        async with build_worker(time_skipping.client, engine, task_queue):
            handle = await _start(time_skipping, priced_order(engine, shop, [(lamp.sku, "2")]), task_queue)
            assert (await handle.execute_update(OrderWorkflow.sync)).stage == "backordered"  # 1 of 2 held
            cancel = CancelRequest(actor="sales_ops-1", reason="customer changed their mind")
            assert (await handle.execute_update(OrderWorkflow.cancel, cancel)).stage == "cancelled"
            assert (await handle.result()).stage == "cancelled"
            save(await handle.fetch_history(), path)
    await _replays(path)


async def test_a_bank_transfer_paid_in_time_ships_and_one_never_paid_is_cancelled(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    paths = [HISTORIES / f"web_order_transfer_{n}.json" for n in ("paid_then_shipped", "hold_expired")]
    if any(should_record(p) for p in paths):
        shop = open_shop(factory)
        chair = add_item(factory, shop, "chair", "80.00")
        receive(engine, chair, shop.wh1, "4", "30.00")
        async with build_worker(time_skipping.client, engine, task_queue):
            order = priced_order(engine, shop, [(chair.sku, "2")], payment_method="transfer")
            handle = await _start(time_skipping, order, task_queue)
            assert (await handle.execute_update(OrderWorkflow.sync)).stage == "awaiting_payment"
            paid = PaymentReceived(method="transfer", amount=D("190.40"), reference="BT-1")
            assert (await handle.execute_update(OrderWorkflow.pay, paid)).paid
            assert (await _ship(handle, shop.wh1.id)).stage == "closed"
            assert (await handle.result()).stage == "closed"
            save(await handle.fetch_history(), paths[0])

            unpaid = priced_order(engine, shop, [(chair.sku, "2")], payment_method="transfer")
            handle = await _start(time_skipping, unpaid.model_copy(update={"hold_hours": 48}), task_queue)
            assert (await handle.execute_update(OrderWorkflow.sync)).stage == "awaiting_payment"
            assert (await handle.result()).stage == "cancelled"  # the server skips through the hold
            save(await handle.fetch_history(), paths[1])
    for path in paths:
        await _replays(path)


async def test_an_order_partly_shipped_then_cancelled_from_temporal(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    path = HISTORIES / "web_order_partly_shipped_cancelled_from_temporal.json"
    if should_record(path):
        shop = open_shop(factory)
        tee = add_item(factory, shop, "tee", "20.00")
        cap = add_item(factory, shop, "cap", "15.00")
        receive(engine, tee, shop.wh1, "5", "8.00")
        async with build_worker(time_skipping.client, engine, task_queue):
            order = priced_order(engine, shop, [(tee.sku, "1"), (cap.sku, "1")])
            handle = await _start(time_skipping, order, task_queue)
            assert (await handle.execute_update(OrderWorkflow.sync)).stage == "backordered"
            assert (await _ship(handle, shop.wh1.id)).stage == "backordered"
            await handle.cancel()
            with pytest.raises(WorkflowFailureError):
                await handle.result()
            save(await handle.fetch_history(), path)
    await _replays(path)


async def _finished(env: WorkflowEnvironment, workflow_id: str, path: Path) -> OrderStatus:
    """Wait for an order the API started to finish and save its history."""
    handle = env.client.get_workflow_handle_for(OrderWorkflow.run, workflow_id)
    status = await asyncio.wait_for(handle.result(), timeout=60)
    save(await handle.fetch_history(), path)
    return status


async def test_store_sales_and_a_marketplace_order(
    api: TestClient, erp_worker: Worker, temporal_dev: WorkflowEnvironment, engine: Engine, factory: Factory
) -> None:
    names = ("pos_sale_at_the_counter", "pos_sale_not_in_stock", "marketplace_order_shipped")
    paths = [HISTORIES / f"{n}.json" for n in names]
    if any(should_record(p) for p in paths):
        shop = open_shop(factory)
        soap = add_item(factory, shop, "soap", "4.00")
        receive(engine, soap, shop.store, "3", "1.50")
        receive(engine, soap, shop.wh1, "5", "1.50")
        sales = bearer(shop.sales)
        started = []
        for channel, qty, kw in (
            (shop.pos, "2", {"payment_method": "cash"}),
            (shop.pos, "9", {"payment_method": "cash"}),
            (shop.market, "1", {}),
        ):
            created = api.post(
                "/orders",
                json=order_body(shop, channel, [{"sku": soap.sku, "qty": qty}], **kw),
                headers=sales,
            )
            assert created.status_code == 201, created.text
            started.append(created.json())
        shipped = api.post(
            f"/orders/{started[2]['order_number']}/warehouse-events",
            headers=bearer(shop.warehouse),
            json={"kind": "shipped", "location_id": shop.wh1.id, "carrier": "DHL", "tracking": "1234567891"},
        )
        assert shipped.status_code == 200, shipped.text
        finals = [
            await _finished(temporal_dev, o["workflow_id"], p) for o, p in zip(started, paths, strict=True)
        ]
        assert [f.stage for f in finals] == ["closed", "cancelled", "closed"]
    for path in paths:
        await _replays(path)


async def test_a_lapsed_card_renewal_declined_waits_and_a_new_card_pays(
    api: TestClient, erp_worker: Worker, temporal_dev: WorkflowEnvironment, engine: Engine, factory: Factory
) -> None:
    path = HISTORIES / "web_order_lapsed_renewal_declined_then_paid.json"
    if should_record(path):
        shop = open_shop(factory, payment_provider="sandbox")
        chair = add_item(factory, shop, "chair", "80.00")
        receive(engine, chair, shop.wh1, "6", "30.00")
        body = order_body(
            shop,
            shop.web,
            [{"sku": chair.sku, "qty": "2"}],
            payment_method="card",
            payment_reference="sandbox:lapsed-decline",
        )
        created = api.post("/orders", json=body, headers=bearer(shop.sales))
        assert created.status_code == 201, created.text
        number = created.json()["order_number"]
        ship = {"kind": "shipped", "location_id": shop.wh1.id, "carrier": "DHL", "tracking": "1234567891"}
        refused = api.post(
            f"/orders/{number}/warehouse-events",
            json={**ship, "event_id": "scan-1"},
            headers=bearer(shop.warehouse),
        )
        assert refused.status_code == 409 and "lapsed" in refused.text
        paid = api.post(
            f"/orders/{number}/payment",
            json={"method": "card", "amount": "190.40", "reference": "tok_visa"},
            headers=bearer(shop.sales),
        )
        assert paid.status_code == 200, paid.text
        again = api.post(
            f"/orders/{number}/warehouse-events",
            json={**ship, "event_id": "scan-2"},
            headers=bearer(shop.warehouse),
        )
        assert again.json()["stage"] == "closed", again.text
        assert (await _finished(temporal_dev, created.json()["workflow_id"], path)).stage == "closed"
    await _replays(path)


async def test_a_stuck_allocation_waits_for_an_admin_whose_retry_lets_the_order_ship(
    time_skipping: WorkflowEnvironment,
    task_queue: str,
    engine: Engine,
    owner_engine: Engine,
    factory: Factory,
) -> None:
    path = HISTORIES / "web_order_stuck_allocation_retried.json"
    if should_record(path):
        shop = open_shop(factory)
        chair = add_item(factory, shop, "chair", "80.00")
        receive(engine, chair, shop.wh1, "4", "30.00")
        order = priced_order(engine, shop, [(chair.sku, "2")])
        lock = f"locked_{re.sub(r'[^a-z0-9]', '_', order.order_number.lower())}"[:60]
        with owner_engine.begin() as c:  # the reservation insert fails as a lock timeout would
            c.execute(
                text(
                    f"CREATE FUNCTION {lock}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION"
                    f" 'stock rows locked by a count' USING ERRCODE = 'lock_not_available'; END $$"
                )
            )
            c.execute(
                text(
                    f"CREATE TRIGGER {lock} BEFORE INSERT ON reservation FOR EACH ROW"
                    f" WHEN (NEW.source_id = '{order.order_number}') EXECUTE FUNCTION {lock}()"
                )
            )
        try:
            async with build_worker(time_skipping.client, engine, task_queue):
                handle = await _start(time_skipping, order, task_queue)
                for _ in range(40):  # minutes of back-off: the time-skipping server runs through them
                    if (found := _open_task(engine, handle.id)) is not None:
                        break
                    await time_skipping.sleep(timedelta(minutes=1))
                assert found is not None and found[1] == "needs_attention", (
                    "the order never asked for attention"
                )
                with owner_engine.begin() as c:
                    c.execute(text(f"DROP TRIGGER {lock} ON reservation"))
                await _decide(handle, found[0], "retry", role="admin")
                assert (await handle.execute_update(OrderWorkflow.sync)).stage == "allocated"
                assert (await _ship(handle, shop.wh1.id)).stage == "closed"
                assert (await handle.result()).stage == "closed"
                save(await handle.fetch_history(), path)
        finally:
            with owner_engine.begin() as c:
                c.execute(text(f"DROP TRIGGER IF EXISTS {lock} ON reservation"))
                c.execute(text(f"DROP FUNCTION IF EXISTS {lock}()"))
    await _replays(path)
