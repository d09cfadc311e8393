"""Proof under fire: purchase orders through payment, web orders through shipment and their returns
through refund run side by side while a chaos monkey SIGKILLs the worker at random moments and restarts
it. At the end every workflow has completed, every business event was posted exactly once (by
idempotency key), the books balance, the stock ledger equals the balances and the inventory account, and
no stock is negative or over-reserved."""

import asyncio
import os
import random
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from models.contracts.purchasing import InvoiceLineIn, InvoiceRequest, ReceiptLineIn, ReceiptRequest
from models.contracts.returns import ReceiptPart
from models.contracts.returns import ReceiptRequest as ReturnReceipt
from models.contracts.sales import WarehouseEvent
from models.contracts.tasks import DecisionRequest
from services.core.invariants import check_books
from tests.chaos.monkey import ChaosWorker, chaos_seed
from tests.factories import Factory
from tests.purchasing.buyer_desk import Desk, draft_input, open_task
from tests.purchasing.buyer_desk import open_desk as open_buying_desk
from tests.purchasing.clock import until
from tests.returns.desk import open_desk as open_returns_desk
from tests.returns.desk import return_input
from tests.sales.shop import Shop, add_item, priced_order, receive
from workflows.purchasing.purchase_order import PurchaseOrderWorkflow
from workflows.returns.rma import ReturnWorkflow
from workflows.sales.order import OrderWorkflow

pytestmark = pytest.mark.slow  # starts worker processes: run with the other system tests

D = Decimal
POS, ORDERS = 3, 3


async def _update(handle: WorkflowHandle[Any, Any], update: Any, arg: Any, update_id: str) -> Any:
    """Send an update, and again under the same id if the worker died before answering (the server
    applies an update id once and returns its first result)."""
    for _ in range(20):
        try:
            if arg is None:
                return await handle.execute_update(update, id=update_id)
            return await handle.execute_update(update, arg, id=update_id)
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            await asyncio.sleep(0.5)
    raise AssertionError(f"update {update_id} never completed")


async def _reach(handle: WorkflowHandle[Any, Any], wanted: str) -> None:
    """Poll the PO's status query; while no worker is up the query fails, which only means: not yet."""
    for _ in range(2400):
        try:
            if (await handle.query(PurchaseOrderWorkflow.status)).stage == wanted:
                return
        except (RPCError, WorkflowQueryFailedError):
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"{handle.id} never reached {wanted}")


async def _purchase_to_pay(client: Client, queue: str, engine: Engine, desk: Desk) -> str:
    """Approve, receive, invoice; IMMEDIATE terms pay at once and the PO closes."""
    po = draft_input(engine, desk, "10")
    handle = await client.start_workflow(PurchaseOrderWorkflow.run, po, id=po.workflow_id, task_queue=queue)
    task = await until(lambda: open_task(engine, po.number, "po_approval"), "approval task", timeout=240)
    approve = DecisionRequest(
        task_id=task["id"],
        decision="approve",
        actor=desk.name("approver"),
        actor_roles=["approver"],
        approval_limit=D("100000"),
        revision=1,
    )
    await _update(handle, PurchaseOrderWorkflow.decide, approve, f"approve-{po.number}")
    # The update records the approval; issuing follows in the workflow's own time. Ask the workflow
    # itself (the database row may run ahead of a workflow whose worker just died).
    await _reach(handle, "issued")
    receipt = ReceiptRequest(
        delivery_note=f"DN-{po.number}",
        received_by=desk.name("receiver"),
        received_on=po.order_date,
        lines=[ReceiptLineIn(line_no=1, qty=D(10))],
    )
    await _update(handle, PurchaseOrderWorkflow.receive, receipt, f"receive-{po.number}")
    invoice = InvoiceRequest(
        invoice_number=f"INV-{po.number}",
        invoice_date=po.order_date,
        currency="EUR",
        lines=[InvoiceLineIn(line_no=1, qty=D(10), price=D("10.00"))],
        entered_by=desk.name("clerk"),
    )
    await _update(handle, PurchaseOrderWorkflow.submit_invoice, invoice, f"invoice-{po.number}")
    assert await handle.result() == "closed"
    return po.number


async def _ship(client: Client, queue: str, engine: Engine, shop: Shop, sku: str) -> str:
    """A web order allocated and shipped from the first warehouse."""
    order = priced_order(engine, shop, [(sku, "1")])
    handle = await client.start_workflow(
        OrderWorkflow.run, order, id=f"Order-{order.order_number}", task_queue=queue
    )
    await _update(handle, OrderWorkflow.sync, None, f"sync-{order.order_number}")
    shipped = WarehouseEvent(kind="shipped", location_id=shop.wh1.id or 0, carrier="DHL")
    await _update(handle, OrderWorkflow.warehouse_event, shipped, f"ship-{order.order_number}")
    assert (await handle.result()).stage == "closed"
    return order.order_number


async def _sell_and_take_back(
    client: Client, queue: str, engine: Engine, shop: Shop, sku: str
) -> tuple[str, str]:
    """A web order shipped, then returned and restocked with a card refund."""
    number = await _ship(client, queue, engine, shop, sku)
    rma = return_input(engine, shop, number, [(1, "1")])
    handle = await client.start_workflow(
        ReturnWorkflow.run, rma, id=f"Return-{rma.rma_number}", task_queue=queue
    )
    await _update(handle, ReturnWorkflow.sync, None, f"sync-{rma.rma_number}")
    parcel = ReturnReceipt(
        received_by="dock",
        parts=[ReceiptPart(line_no=1, qty=D(1), disposition="restock", location_id=shop.wh1.id)],
    )
    await _update(handle, ReturnWorkflow.receive, parcel, f"receive-{rma.rma_number}")
    assert (await handle.result()).stage == "closed"
    return number, rma.rma_number


def _count(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as c:
        return int(c.execute(text(sql), params).scalar_one())


async def test_a_worker_killed_at_random_loses_nothing_and_doubles_nothing(
    temporal_dev: WorkflowEnvironment, database_url: str, engine: Engine, factory: Factory
) -> None:
    buying = open_buying_desk(factory)
    selling = open_returns_desk(factory)
    shop = selling.shop
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "20", "12.00")
    queue = f"chaos-{uuid.uuid4().hex[:8]}"
    worker = ChaosWorker(
        {
            **os.environ,
            "DATABASE_URL": database_url,
            "ERP_TASK_QUEUE": queue,
            "ERP_WORKER_METRICS_PORT": "0",
            "TEMPORAL_ADDRESS": temporal_dev.client.service_client.config.target_host,
        }
    )
    client = temporal_dev.client
    stop = asyncio.Event()
    # A worker needs about 5 s to import and poll on a quiet machine (more on a busy CI runner with the soak
    # beside it): each one works a while before it is killed, or no document would ever move.
    monkey = asyncio.create_task(worker.rampage(stop, random.Random(chaos_seed()), 8.0, 12.0))
    try:
        results = await asyncio.wait_for(
            asyncio.gather(
                *[_purchase_to_pay(client, queue, engine, buying) for _ in range(POS)],
                *[_sell_and_take_back(client, queue, engine, shop, lamp.sku) for _ in range(ORDERS)],
            ),
            timeout=420,
        )
    finally:
        stop.set()
        await monkey
        worker.stop()
    print(f"\nchaos: {worker.kills} worker kills survived (seed {chaos_seed()})")
    assert worker.kills >= 1
    pos = list(results[:POS])
    sold = [r for r in results[POS:] if isinstance(r, tuple)]

    # Exactly once, by idempotency key: receipt, invoice and payment per PO; per order one reservation,
    # one issue and one revenue entry; per return one credit note, one refund and one restock.
    assert (
        _count(
            engine,
            "SELECT count(*) FROM journal_entry WHERE source_type = 'purchase_order' AND source_id = ANY(:n)",
            n=pos,
        )
        == 3 * POS
    )
    assert (
        _count(
            engine,
            "SELECT count(*) FROM goods_receipt r JOIN purchase_order p ON p.id = r.po_id"
            " WHERE p.number = ANY(:n)",
            n=pos,
        )
        == POS
    )
    orders = [o for o, _ in sold]
    rmas = [r for _, r in sold]
    assert _count(engine, "SELECT count(*) FROM reservation WHERE source_id = ANY(:n)", n=orders) == ORDERS
    assert _count(engine, "SELECT count(*) FROM stock_move WHERE source_id = ANY(:n)", n=orders) == ORDERS
    assert (
        _count(
            engine,
            "SELECT count(*) FROM journal_entry WHERE source_id = ANY(:n) AND idempotency_key LIKE :k",
            n=orders,
            k="%:revenue",
        )
        == ORDERS
    )
    assert (
        _count(engine, "SELECT count(*) FROM credit_note WHERE number = ANY(:n)", n=[f"CN-{r}" for r in rmas])
        == ORDERS
    )
    assert (
        _count(
            engine,
            "SELECT count(*) FROM sales_payment WHERE kind = 'refund' AND payment_key LIKE ANY(:k)",
            k=[f"return:{r}:%" for r in rmas],
        )
        == ORDERS
    )
    assert _count(engine, "SELECT count(*) FROM stock_move WHERE source_id = ANY(:n)", n=rmas) == ORDERS

    # The books of both companies agree with themselves and with the stock ledger.
    for entity_id in (buying.entity.id, shop.entity.id):
        assert entity_id is not None
        with Session(engine) as s:
            books = check_books(s, entity_id)
        assert books.consistent, books
