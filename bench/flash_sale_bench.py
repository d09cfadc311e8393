"""A flash sale through the HTTP API: N web orders sent at once to real API processes, with real worker
processes, one Temporal server and one PostgreSQL. Every answer must name its order; the intake answer's
p50/p99 is reported, then the time until every order has done its intake (orders/s) and the books are checked.

Run with 1 API + 1 worker and with 2 APIs + 2 workers to see what a second process of each brings."""

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text
from sqlmodel import Session

from bench.cpu import cpu_seconds
from bench.harness import Result, percentile
from erp.db import make_engine
from erp.embedded import (
    ensure_database,
    start_postgres,
    start_temporal_dev_server,
    stop_process,
    wait_for_port,
)
from erp.settings import PROJECT_ROOT
from services.core.invariants import check_books
from tests.chaos.monkey import ChaosWorker
from tests.demo.system import copy_database, free_port, seeded_template

CHANNEL, CUSTOMER, USER = "WEB-EU", "CUST-0001", "sam.sales"
HEADERS = {"Authorization": f"Bearer demo-{USER}"}
WAREHOUSE = {"Authorization": "Bearer demo-wes.warehouse"}
# How long every order may take to finish its intake once the last answer came (a saturated system drains).
DRAIN_SECONDS = 600.0


@dataclass
class Stack:
    """API processes and worker processes over one Temporal dev server and one database."""

    database_url: str
    api_urls: list[str]
    temporal_pid: int
    postgres_pid: int
    apis: list[subprocess.Popen[bytes]] = field(default_factory=list)
    workers: list[ChaosWorker] = field(default_factory=list)

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by each part of the system (PostgreSQL: the postmaster and its backends)."""
        return {
            "api": sum(cpu_seconds(p.pid) for p in self.apis),
            "worker": sum(cpu_seconds(w.proc.pid) for w in self.workers),
            "temporal": cpu_seconds(self.temporal_pid),
            "postgres": cpu_seconds(self.postgres_pid, children=True),
        }


@contextmanager
def stack(
    admin_url: str, template: str, workdir: Path, apis: int, workers: int, postgres_pid: int
) -> Iterator[Stack]:
    """A fresh copy of the demo database, Temporal on a file, `apis` API and `workers` worker processes."""
    workdir.mkdir(parents=True, exist_ok=True)
    db = copy_database(admin_url, template)
    temporal_port = free_port()
    temporal = start_temporal_dev_server(workdir / "temporal.db", port=temporal_port, ui_port=None)
    env = {
        **os.environ,
        "DATABASE_URL": db,
        "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "ERP_WORKER_METRICS_PORT": "0",
    }
    ports = [free_port() for _ in range(apis)]
    system = Stack(db, [f"http://127.0.0.1:{p}" for p in ports], temporal.pid, postgres_pid)
    try:
        for port in ports:
            proc = subprocess.Popen(
                [sys.executable, "-m", "erp.cli.main", "api", "--port", str(port)],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=open(workdir / f"api-{port}.log", "ab"),  # noqa: SIM115 - owned by the child
            )
            system.apis.append(proc)
            wait_for_port("127.0.0.1", port, timeout=300, proc=proc)  # a busy machine starts slowly
        for n in range(workers):
            system.workers.append(ChaosWorker(env, workdir / f"worker-{n}.log"))
        yield system
    finally:
        for worker in system.workers:
            worker.stop()
        for proc in system.apis:
            stop_process(proc)
        stop_process(temporal)


@dataclass
class Answer:
    """One intake request as the client saw it."""

    external_id: str
    status: int
    order_number: str | None
    seconds: float


async def _skus(http: httpx.AsyncClient) -> list[str]:
    """Untracked demo SKUs (no lot or serial to pick), once the API answers."""
    for _ in range(600):
        try:
            r = await http.get("/items?limit=1000", headers={"Authorization": "Bearer demo-admin"})
            if r.status_code == 200:
                return sorted(i["sku"] for i in r.json() if i["tracking"] == "none" and not i["archived"])
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.1)
    raise TimeoutError("the API did not list items")


async def _intake(http: httpx.AsyncClient, external_id: str, sku: str) -> Answer:
    body = {
        "channel": CHANNEL,
        "external_id": external_id,
        "customer": CUSTOMER,
        "lines": [{"sku": sku, "qty": "1"}],
    }
    start = time.perf_counter()
    try:
        r = await http.post("/orders", json=body, headers=HEADERS)
    except httpx.HTTPError:
        return Answer(external_id, 0, None, time.perf_counter() - start)
    seconds = time.perf_counter() - start
    payload = r.json() if r.content else {}
    number = payload.get("order_number") if isinstance(payload, dict) else None
    return Answer(external_id, r.status_code, number, seconds)


def _intake_done(engine: Engine, numbers: list[str]) -> int:
    """How many of these orders are stored and past intake (reserved, backordered, waiting for payment...)."""
    with engine.connect() as c:
        return int(
            c.execute(
                text("SELECT count(*) FROM sales_order WHERE number = ANY(:n) AND status <> 'received'"),
                {"n": numbers},
            ).scalar_one()
        )


def _verdict(engine: Engine, numbers: list[str]) -> dict[str, Any]:
    """Each order once, each command decided and applied, and the books of the entity consistent."""
    workflow_ids = [f"Order-{n}" for n in numbers]
    with Session(engine) as s:
        c = s.connection()
        stored = c.execute(
            text("SELECT count(DISTINCT number), count(*) FROM sales_order WHERE number = ANY(:n)"),
            {"n": numbers},
        ).one()
        commands: dict[str, int] = {
            str(r[0]): int(r[1])
            for r in c.execute(
                text("SELECT status, count(*) FROM api_command WHERE workflow_id = ANY(:w) GROUP BY status"),
                {"w": workflow_ids},
            )
        }
        attention = c.execute(
            text("SELECT count(*) FROM sales_order WHERE number = ANY(:n) AND status = 'needs_attention'"),
            {"n": numbers},
        ).scalar_one()
        entity = c.execute(text("SELECT entity_id FROM channel WHERE code = :c"), {"c": CHANNEL}).scalar_one()
        books = check_books(s, int(entity)).consistent
    ok = stored[0] == stored[1] == len(numbers) and set(commands) == {"applied"} and attention == 0 and books
    return {
        "stored_once": int(stored[0]) == int(stored[1]) == len(numbers),
        "commands": commands,
        "needs_attention": int(attention),
        "books_consistent": books,
        "correct": ok,
    }


async def _ship(http: httpx.AsyncClient, number: str) -> bool:
    """Ship an allocated order from where it is allocated (as the warehouse reports it); True when sent."""
    order = await http.get(f"/orders/{number}", headers=WAREHOUSE)
    if order.status_code != 200 or order.json()["status"] != "allocated":
        return False
    places = sorted({a["location_id"] for a in order.json()["allocations"] if a["status"] == "active"})
    for loc in places:
        event = {"kind": "shipped", "location_id": loc, "carrier": "DHL", "event_id": f"{number}-{loc}"}
        answer = await http.post(f"/orders/{number}/warehouse-events", json=event, headers=WAREHOUSE)
        if answer.status_code not in (200, 202):
            return False
    return bool(places)


def _closed(engine: Engine, numbers: list[str]) -> int:
    with engine.connect() as c:
        return int(
            c.execute(
                text("SELECT count(*) FROM sales_order WHERE number = ANY(:n) AND status = 'closed'"),
                {"n": numbers},
            ).scalar_one()
        )


async def _ship_all(
    system: Stack, clients: list[httpx.AsyncClient], engine: Engine, numbers: list[str]
) -> int:
    """Ship every allocated order, 20 at a time over the APIs, and wait until they are closed."""
    gate = asyncio.Semaphore(20)

    async def one(i: int, number: str) -> bool:
        async with gate:
            return await _ship(clients[i % len(clients)], number)

    shipped = [
        n
        for n, ok in zip(
            numbers, await asyncio.gather(*(one(i, n) for i, n in enumerate(numbers))), strict=True
        )
        if ok
    ]
    deadline = time.monotonic() + DRAIN_SECONDS
    while _closed(engine, shipped) < len(shipped) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    return _closed(engine, shipped)


async def _sale(system: Stack, orders: int) -> dict[str, Any]:
    """Send `orders` intakes at once (round robin over the APIs), then wait for every intake to finish."""
    # No client-side pool limit: all requests are in flight at once, as a flash sale's shoppers are.
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    clients = [httpx.AsyncClient(base_url=u, timeout=120, limits=limits) for u in system.api_urls]
    engine = make_engine(system.database_url, app_role="erp_app", pool_size=2)
    try:
        skus = await _skus(clients[0])
        for http in clients[1:]:
            await _skus(http)  # every API is warm before the sale
        run = uuid.uuid4().hex[:6]
        cpu_before = system.cpu()
        start = time.perf_counter()
        answers = await asyncio.gather(
            *(_intake(clients[i % len(clients)], f"F{run}-{i}", skus[i % len(skus)]) for i in range(orders))
        )
        answered = time.perf_counter() - start
        named = [
            a for a in answers if 200 <= a.status < 300 and a.order_number == f"{CHANNEL}-{a.external_id}"
        ]
        numbers = [str(a.order_number) for a in named]
        deadline = time.monotonic() + DRAIN_SECONDS
        while _intake_done(engine, numbers) < len(numbers) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        drained = time.perf_counter() - start
        done = _intake_done(engine, numbers)
        cpu_intake = system.cpu()
        shipping = time.perf_counter()
        closed = await _ship_all(system, clients, engine, numbers)
        shipped_s = time.perf_counter() - shipping
        cpu_after = system.cpu()
        # The relay records a 202's outcome in its own time: give it a moment before judging the commands.
        verdict = _verdict(engine, numbers)
        for _ in range(60):
            if verdict["correct"]:
                break
            await asyncio.sleep(1)
            verdict = _verdict(engine, numbers)
    finally:
        for http in clients:
            await http.aclose()
        engine.dispose()
    seconds = [a.seconds for a in answers]
    return {
        "orders": orders,
        "apis": len(system.api_urls),
        "workers": len(system.workers),
        "named": len(named),
        "statuses": {
            str(s): sum(1 for a in answers if a.status == s) for s in sorted({a.status for a in answers})
        },
        "answer_p50_ms": round(percentile(seconds, 50) * 1000),
        "answer_p99_ms": round(percentile(seconds, 99) * 1000),
        "answer_max_ms": round(max(seconds) * 1000),
        "all_answered_s": round(answered, 2),
        "intake_done": done,
        "intake_done_s": round(drained, 2),
        "orders_per_s": round(done / drained, 2),
        # CPU per order and per part: what one order costs each tier (docs/scaling.md's capacity model).
        "intake_cpu_ms_per_order": {
            k: round((cpu_intake[k] - cpu_before[k]) / max(done, 1) * 1000) for k in cpu_before
        },
        "shipped_closed": closed,
        "ship_s": round(shipped_s, 2),
        "full_order_cpu_ms_per_order": {
            k: round((cpu_after[k] - cpu_before[k]) / max(closed, 1) * 1000) for k in cpu_before
        },
        **verdict,
    }


def run_sale(
    admin_url: str, template: str, workdir: Path, orders: int, apis: int, workers: int, postgres_pid: int
) -> dict[str, Any]:
    """One flash sale on its own fresh system."""
    where = workdir / f"sale-{orders}-{apis}x{workers}"
    with stack(admin_url, template, where, apis, workers, postgres_pid) as system:
        return asyncio.run(_sale(system, orders))


def flash_sale(sizes: tuple[int, ...] = (100, 300), scale_out: int = 300) -> list[Result]:
    """The flash sales on 1 API + 1 worker, and the largest again on 2 APIs + 2 workers."""
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="erp-flash-") as tmp:
        server = start_postgres(Path(tmp) / "pg")
        admin = ensure_database(server.get_uri(), "erp_flash_admin")
        template = seeded_template(admin)
        pg = int((Path(tmp) / "pg" / "postmaster.pid").read_text().split()[0])
        # The scale-out comparison right after the first sale: a short run still gets both shapes.
        shapes = [(sizes[0], 1), *([(scale_out, 2)] if scale_out else []), *((n, 1) for n in sizes[1:])]
        runs = []
        for orders, processes in shapes:
            runs.append(run_sale(admin, template, Path(tmp), orders, processes, processes, pg))
            print("flash sale:", runs[-1], flush=True)
    for r in runs:
        shape = f"{r['apis']} API + {r['workers']} worker{'s' if r['workers'] > 1 else ''}"
        results.append(
            Result(
                f"flash sale {r['orders']} at once ({shape}): answer p99",
                r["answer_p99_ms"],
                "ms",
                extra=r,
            )
        )
        results.append(
            Result(
                f"flash sale {r['orders']} at once ({shape}): intake orders/s", r["orders_per_s"], "orders/s"
            )
        )
    one = next((r for r in runs if r["orders"] == scale_out and r["workers"] == 1), None)
    two = next((r for r in runs if r["workers"] == 2), None)
    if one and two:
        results.append(
            Result(
                "scale-out: intake orders/s, 2 workers vs 1",
                two["orders_per_s"],
                "orders/s",
                baseline=one["orders_per_s"],
                baseline_name="1 worker, 1 API",
            )
        )
    return results


if __name__ == "__main__":
    import argparse

    from bench.harness import report

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100,300", help="orders per sale, comma separated")
    parser.add_argument(
        "--scale-out", type=int, default=300, help="orders for the 2 API + 2 worker run (0: skip)"
    )
    args = parser.parse_args()
    sizes = tuple(int(x) for x in args.sizes.split(","))
    report(flash_sale(sizes, args.scale_out), Path(__file__).parent / "results" / "flash_sale.json")
