"""Order-to-fulfill throughput and latency on the local stack vs a bare workflow with the same number
of no-op activities, measured in the same run on the same Temporal dev server."""

import asyncio
import os
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench.bare_workflow import BareWorkflow, noop
from bench.cpu import child_named, cpu_seconds, postmaster_of
from bench.harness import Result, percentile
from erp.embedded import venv_binary
from models.contracts.sales import OrderInput, WarehouseEvent
from models.master import Channel, Customer, Item, Location, TaxRate
from models.sales import ChannelPrice
from rules.accounts import AccountRole
from services.core import stock
from services.core.chart import create_entity
from services.sales.intake import Caller, OrderAsk, price_order
from worker import build_worker
from workflows.sales.order import OrderWorkflow
from workflows.search_attributes import ALL

D = Decimal


@dataclass
class _Line:
    """One order line as intake reads it."""

    sku: str
    qty: Decimal = Decimal(1)
    unit_price: Decimal | None = None
    promotion_code: str | None = None
    discount: Decimal | None = None


def _shop(engine: Engine, orders: int) -> tuple[list[OrderInput], int]:
    """A web shop with one item in stock and `orders` priced web orders for it."""
    with Session(engine, expire_on_commit=False) as s:
        entity = create_entity(s, code=f"BO{uuid.uuid4().hex[:6]}", name="bench", currency="EUR")
        assert entity.id is not None
        wh = Location(entity_id=entity.id, code=f"WH{uuid.uuid4().hex[:6]}", name="wh")
        item = Item(sku=f"B{uuid.uuid4().hex[:8]}", name="bench item", category="bench")
        web = Channel(
            entity_id=entity.id, code=f"W{uuid.uuid4().hex[:6]}", name="web", kind="web", currency="EUR"
        )
        customer = Customer(code=f"C{uuid.uuid4().hex[:6]}", name="c", currency="EUR", tax_region="BENCH")
        s.add_all(
            [
                wh,
                item,
                web,
                customer,
                TaxRate(region="BENCH", tax_class="standard", rate=D("0.19"), valid_from=date(2000, 1, 1)),
            ]
        )
        s.flush()
        assert item.id and wh.id and web.id
        s.add(
            ChannelPrice(
                channel_id=web.id,
                item_id=item.id,
                price=D("20.00"),
                currency="EUR",
                valid_from=date(2000, 1, 1),
            )
        )
        stock.move(
            s,
            stock.MoveIn(
                item_id=item.id,
                location_id=wh.id,
                qty=D(orders * 2),
                unit_cost=D("8.00"),
                reason="receipt",
                source_type="bench",
                source_id="open",
                idempotency_key=f"bench:open:{item.sku}",
                posting_date=date.today(),
                offset_account=AccountRole.GRNI,
            ),
        )
        s.commit()
        caller = Caller(username="bench", entity_ids=frozenset({entity.id}), may_override_floor=False)
        inputs = [
            price_order(
                s,
                OrderAsk(
                    channel=web.code,
                    external_id=uuid.uuid4().hex[:10],
                    customer=customer.code,
                    ship_to_region=None,
                    currency=None,
                    payment_method=None,
                    lines=[_Line(item.sku)],
                ),
                caller,
                date.today(),
            )
            for _ in range(orders)
        ]
    return inputs, wh.id


def _is_step(event: HistoryEvent) -> bool:
    """An activity the order ran: a scheduled one, or a local one (recorded as a marker)."""
    if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        return True
    return (
        event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and event.marker_recorded_event_attributes.marker_name == "core_local_activity"
    )


async def _order(client: Client, queue: str, order: OrderInput, location_id: int) -> float:
    start = time.perf_counter()
    handle = await client.start_workflow(
        OrderWorkflow.run, order, id=f"Order-{order.order_number}", task_queue=queue
    )
    await handle.execute_update(OrderWorkflow.sync)
    await handle.execute_update(
        OrderWorkflow.warehouse_event, WarehouseEvent(kind="shipped", location_id=location_id, carrier="DHL")
    )
    await handle.result()
    return time.perf_counter() - start


async def _bare(client: Client, queue: str, steps: int) -> float:
    start = time.perf_counter()
    await client.execute_workflow(BareWorkflow.run, steps, id=f"bare-{uuid.uuid4().hex}", task_queue=queue)
    return time.perf_counter() - start


async def _batch(jobs: list[Coroutine[Any, Any, float]], concurrency: int) -> tuple[list[float], float]:
    """Run the jobs with at most `concurrency` in flight; their latencies and the wall time."""
    sem = asyncio.Semaphore(concurrency)

    async def run(job: Coroutine[Any, Any, float]) -> float:
        async with sem:
            return await job

    start = time.perf_counter()
    latencies = await asyncio.gather(*(run(j) for j in jobs))
    return list(latencies), time.perf_counter() - start


class _Tiers:
    """CPU seconds so far of the three tiers on this machine: this process (the client, the worker and its
    activities), the Temporal dev server, and PostgreSQL with its backends."""

    def __init__(self, engine: Engine) -> None:
        temporal = child_named("temporal")
        assert temporal is not None, "the dev server is not a child of this process"
        self.pids = {"python": os.getpid(), "temporal": temporal, "postgres": postmaster_of(engine)}

    def now(self) -> dict[str, float]:
        """Each tier's CPU seconds to date."""
        return {tier: cpu_seconds(pid, children=tier == "postgres") for tier, pid in self.pids.items()}

    def per_run(self, before: dict[str, float], runs: int) -> dict[str, float]:
        """Each tier's CPU milliseconds per run since `before`, and their total."""
        spent = {tier: (cpu - before[tier]) * 1000 / runs for tier, cpu in self.now().items()}
        return {**spent, "total": sum(spent.values())}


def _cpu_result(order: dict[str, float], bare: dict[str, float]) -> Result:
    """CPU per order against CPU per bare run: on a saturated machine throughput goes as its inverse."""
    return Result(
        "order-to-fulfill: CPU ms per order (this process + Temporal + PostgreSQL)",
        order["total"],
        "ms",
        baseline=bare["total"],
        baseline_name="bare workflow, CPU ms per run",
        extra={
            "order_ms": {k: round(v, 1) for k, v in order.items()},
            "bare_ms": {k: round(v, 1) for k, v in bare.items()},
        },
    )


async def _timed_batch(
    jobs: list[Coroutine[Any, Any, float]], concurrency: int, tiers: _Tiers
) -> tuple[list[float], float, dict[str, float]]:
    """A batch's latencies, its wall time and each tier's CPU per job."""
    before = tiers.now()
    latencies, wall = await _batch(jobs, concurrency)
    return latencies, wall, tiers.per_run(before, len(jobs))


async def _measure(engine: Engine, orders: int, concurrency: int) -> list[Result]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=ALL,
        dev_server_extra_args=[
            "--sqlite-pragma",
            "journal_mode=WAL",
            "--sqlite-pragma",
            "synchronous=NORMAL",
        ],
    )
    try:
        client = env.client
        queue, bare_queue = f"bench-{uuid.uuid4().hex[:6]}", f"bare-{uuid.uuid4().hex[:6]}"
        inputs, location_id = _shop(engine, orders + 1)
        async with (
            build_worker(client, engine, queue),
            Worker(client, task_queue=bare_queue, workflows=[BareWorkflow], activities=[noop]),
        ):
            # Warm up, and count the activities one order runs: the bare baseline runs as many.
            await _order(client, queue, inputs[0], location_id)
            history = await client.get_workflow_handle(f"Order-{inputs[0].order_number}").fetch_history()
            steps = sum(1 for e in history.events if _is_step(e))
            tiers = _Tiers(engine)
            order_lat, order_wall, order_cpu = await _timed_batch(
                [_order(client, queue, o, location_id) for o in inputs[1:]], concurrency, tiers
            )
            bare_lat, bare_wall, bare_cpu = await _timed_batch(
                [_bare(client, bare_queue, steps) for _ in range(orders)], concurrency, tiers
            )
    finally:
        await env.shutdown()
    return [
        Result(
            f"order-to-fulfill: orders/s ({steps} activities each)",
            orders / order_wall,
            "orders/s",
            baseline=orders / bare_wall,
            baseline_name=f"bare workflow, {steps} no-op activities",
            extra={"orders": orders, "concurrency": concurrency},
        ),
        Result(
            "order-to-fulfill: p50 latency",
            percentile(order_lat, 50) * 1000,
            "ms",
            baseline=percentile(bare_lat, 50) * 1000,
            baseline_name="bare workflow p50",
        ),
        Result(
            "order-to-fulfill: p99 latency",
            percentile(order_lat, 99) * 1000,
            "ms",
            baseline=percentile(bare_lat, 99) * 1000,
            baseline_name="bare workflow p99",
        ),
        _cpu_result(order_cpu, bare_cpu),
    ]


def order_throughput(engine: Engine, orders: int = 200, concurrency: int = 20) -> list[Result]:
    """Orders from intake through shipment (revenue, COGS, capture) vs the bare baseline."""
    return asyncio.run(_measure(engine, orders, concurrency))
