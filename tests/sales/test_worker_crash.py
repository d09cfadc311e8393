"""The worker process is killed (SIGKILL) while orders are being allocated and again while they ship;
after a restart every order completes with exactly one reservation, one stock move and one posting
per business key: nothing doubled, nothing lost."""

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text
from temporalio.client import WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment

from erp.settings import PROJECT_ROOT
from models.contracts.sales import WarehouseEvent
from tests.factories import Factory
from tests.sales.shop import add_item, balance, open_shop, priced_order, receive
from workflows.sales.order import OrderWorkflow

pytestmark = pytest.mark.slow  # starts worker processes: run with the other system tests

D = Decimal
ORDERS = 6


@contextmanager
def worker_process(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """The production worker as its own process (killed by the test, or stopped with SIGTERM at the end)."""
    proc = subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)


async def _until(engine: Engine, sql: str, at_least: int, **params: object) -> None:
    """Poll the database until a count reaches `at_least` (the crash must land mid-flow)."""
    for _ in range(600):
        with engine.connect() as c:
            if int(c.execute(text(sql), params).scalar() or 0) >= at_least:
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never reached {at_least}: {sql}")


async def test_a_killed_worker_leaves_no_double_reservation_or_posting(
    temporal_dev: WorkflowEnvironment, database_url: str, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "10", "12.00")
    orders = [priced_order(engine, shop, [(lamp.sku, "1")]) for _ in range(ORDERS)]
    queue = f"crash-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ERP_TASK_QUEUE": queue,
        "ERP_WORKER_METRICS_PORT": "0",
        "TEMPORAL_ADDRESS": temporal_dev.client.service_client.config.target_host,
    }
    client = temporal_dev.client
    numbers = [o.order_number for o in orders]
    mine = {"n": numbers}

    with worker_process(env) as first:
        handles = [
            await client.start_workflow(OrderWorkflow.run, o, id=f"Order-{o.order_number}", task_queue=queue)
            for o in orders
        ]
        await _until(engine, "SELECT count(*) FROM reservation WHERE source_id = ANY(:n)", 2, **mine)
        first.kill()  # SIGKILL: no graceful shutdown, activities may be mid-transaction
        first.wait()

    with worker_process(env) as second:
        for h in handles:
            assert (await h.execute_update(OrderWorkflow.sync)).stage == "allocated"
        updates = [
            await h.start_update(
                OrderWorkflow.warehouse_event,
                WarehouseEvent(kind="shipped", location_id=shop.wh1.id or 0, carrier="DHL"),
                id=f"ship-{h.id}",
                wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            )
            for h in handles
        ]
        await _until(
            engine,
            "SELECT count(*) FROM shipment s JOIN sales_order o ON o.id = s.order_id"
            " WHERE o.number = ANY(:n)",
            2,
            **mine,
        )
        second.kill()
        second.wait()

    with worker_process(env):
        for upd in updates:
            assert (await upd.result()).stage == "closed"
        for h in handles:
            assert (await h.result()).stage == "closed"

    with engine.connect() as c:
        per_order = c.execute(
            text(
                "SELECT source_id, count(*), sum(qty) FROM reservation WHERE source_id = ANY(:n)"
                " GROUP BY source_id"
            ),
            mine,
        ).all()
        moves = c.execute(
            text("SELECT count(*), sum(qty) FROM stock_move WHERE source_id = ANY(:n)"), mine
        ).one()
        revenue = c.execute(
            text("SELECT count(*) FROM journal_entry WHERE source_id = ANY(:n) AND idempotency_key LIKE :k"),
            {**mine, "k": "%:revenue"},
        ).scalar()
        captures = c.execute(
            text(
                "SELECT count(*) FROM sales_payment p JOIN sales_order o ON o.id = p.order_id"
                " WHERE o.number = ANY(:n) AND p.kind = 'capture'"
            ),
            mine,
        ).scalar()
    assert sorted((r[1], D(r[2])) for r in per_order) == [(1, D(1))] * ORDERS
    assert (moves[0], D(moves[1])) == (ORDERS, D(-ORDERS))
    assert revenue == ORDERS and captures == ORDERS
    assert balance(engine, lamp, shop.wh1) == (D(10 - ORDERS), D(0))
