"""The worker process is killed (SIGKILL) while returned parcels are being booked and refunded; after a
restart every return completes with exactly one credit note, one card refund, one restock move and one
posting per key: nobody is refunded twice, nothing is restocked twice."""

import asyncio
import os
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from temporalio.client import WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment

from models.contracts.returns import ReceiptPart, ReceiptRequest
from tests.factories import Factory
from tests.returns.desk import (
    books_consistent,
    count,
    open_desk,
    return_input,
    ship_through_workflow,
    stock_at,
)
from tests.sales.shop import add_item, receive
from tests.sales.test_worker_crash import worker_process
from workflows.returns.rma import ReturnWorkflow

pytestmark = pytest.mark.slow  # starts worker processes: run with the other system tests

D = Decimal
RETURNS = 4


async def _until(engine: Engine, sql: str, at_least: int, **params: object) -> None:
    """Poll the database until a count reaches `at_least` (the crash must land mid-flow)."""
    for _ in range(600):
        if count(engine, sql, **params) >= at_least:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never reached {at_least}: {sql}")


async def test_a_killed_worker_refunds_each_return_once(
    temporal_dev: WorkflowEnvironment, database_url: str, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    shop = desk.shop
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, str(RETURNS), "12.00")
    queue = f"crash-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ERP_TASK_QUEUE": queue,
        "ERP_WORKER_METRICS_PORT": "0",
        "TEMPORAL_ADDRESS": temporal_dev.client.service_client.config.target_host,
    }
    client = temporal_dev.client
    receipt = ReceiptRequest(
        received_by="dock",
        parts=[ReceiptPart(line_no=1, qty=D(1), disposition="restock", location_id=shop.wh1.id)],
    )

    with worker_process(env) as first:
        orders = [
            await ship_through_workflow(client, queue, engine, shop, lamp.sku, "1") for _ in range(RETURNS)
        ]
        rmas = [return_input(engine, shop, number, [(1, "1")]) for number in orders]
        handles = [
            await client.start_workflow(
                ReturnWorkflow.run, rma, id=f"Return-{rma.rma_number}", task_queue=queue
            )
            for rma in rmas
        ]
        for h in handles:
            assert (await h.execute_update(ReturnWorkflow.sync)).stage == "awaiting_goods"
        updates = [
            await h.start_update(
                ReturnWorkflow.receive,
                receipt,
                id=f"receipt-{h.id}",
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            )
            for h in handles
        ]
        numbers = [f"CN-{rma.rma_number}" for rma in rmas]
        await _until(engine, "SELECT count(*) FROM credit_note WHERE number = ANY(:n)", 1, n=numbers)
        first.kill()  # SIGKILL mid-flow: refunds and restocks may be mid-transaction
        first.wait()

    with worker_process(env):
        for upd in updates:
            assert (await upd.result()).stage == "closed"
        for h in handles:
            assert (await h.result()).stage == "closed"

    keys = [f"return:{rma.rma_number}:%" for rma in rmas]
    sources = [rma.rma_number for rma in rmas]
    assert count(engine, "SELECT count(*) FROM credit_note WHERE number = ANY(:n)", n=numbers) == RETURNS
    assert (
        count(
            engine,
            "SELECT count(*) FROM sales_payment WHERE kind = 'refund' AND payment_key LIKE ANY(:k)",
            k=keys,
        )
        == RETURNS
    )
    assert (
        count(engine, "SELECT count(*) FROM journal_entry WHERE idempotency_key LIKE ANY(:k)", k=keys)
        == 3 * RETURNS
    )
    assert count(engine, "SELECT count(*) FROM stock_move WHERE source_id = ANY(:s)", s=sources) == RETURNS
    assert (
        count(engine, "SELECT count(*) FROM outbox_message WHERE idempotency_key LIKE ANY(:k)", k=keys)
        == 2 * RETURNS
    )
    assert stock_at(engine, lamp.id, shop.wh1.id) == (D(RETURNS), D("48.00"))
    assert books_consistent(engine, shop)
