"""The command edge as a client sees it: web orders and purchase orders driven through the HTTP API by a
client that sends every command ONCE (no retry), while the worker is SIGKILLed and restarted, or while
no worker runs and the Temporal server restarts. Afterwards every command that was answered 2xx or 202
must have been applied exactly once and every document must stand at its expected stage.

`python -m tests.chaos.edge --orders 40 --pos 15 --kills 50` (`make chaos`) runs the full size on its
own system; the suite runs a smaller one (tests/chaos/test_accepted_means_applied.py)."""

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text
from sqlmodel import Session

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

D = Decimal
SETTLED_PO_STAGES = ("awaiting_payment", "closed")


@dataclass
class Sent:
    """One command as the client saw it: accepted (2xx/202) or not, and the command to follow."""

    doc: str
    what: str
    status: int
    command_id: str | None = None


@dataclass
class Tally:
    """What the client sent and what it must find at the end."""

    sent: list[Sent] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)
    pos: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> list[Sent]:
        """Commands the API answered with a promise."""
        return [s for s in self.sent if 200 <= s.status < 300]


class System:
    """PostgreSQL (a copy of the seeded demo), a Temporal dev server on a file, the API, and workers."""

    def __init__(self, database_url: str, workdir: Path, update_timeout: float = 3.0) -> None:
        self.database_url = database_url
        self.temporal_db = workdir / "temporal.db"
        self.temporal_port, self.api_port = free_port(), free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "TEMPORAL_ADDRESS": f"127.0.0.1:{self.temporal_port}",
            "ERP_WORKER_METRICS_PORT": "0",
            # A short wait at the edge: more answers are 202, which is the promise under test.
            "ERP_UPDATE_TIMEOUT_SECONDS": str(update_timeout),
        }
        self.temporal: subprocess.Popen[bytes] | None = None
        self.api: subprocess.Popen[bytes] | None = None
        self.worker: ChaosWorker | None = None

    @property
    def api_url(self) -> str:
        """Where the API answers."""
        return f"http://127.0.0.1:{self.api_port}"

    def start_temporal(self) -> None:
        """The dev server on its SQLite file: a restart keeps every workflow, loses what was only in memory."""
        self.temporal = start_temporal_dev_server(self.temporal_db, port=self.temporal_port, ui_port=None)

    def stop_temporal(self) -> None:
        """Stop the Temporal server (its file stays)."""
        if self.temporal is not None:
            stop_process(self.temporal)
            self.temporal = None

    def start_api(self, timeout: float = 60) -> None:
        """The API as a process, exactly as `erp up` runs it."""
        self.api = subprocess.Popen(
            [sys.executable, "-m", "erp.cli.main", "api", "--port", str(self.api_port)],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.temporal_db.parent / "api.log", "ab"),  # noqa: SIM115 - owned by the child
        )
        wait_for_port("127.0.0.1", self.api_port, timeout=timeout, proc=self.api)

    def start_worker(self) -> ChaosWorker:
        """A production worker process (with its command relay)."""
        self.worker = ChaosWorker(self.env, self.temporal_db.parent / "worker.log")
        return self.worker

    def stop_worker(self) -> None:
        """The worker leaves gracefully."""
        if self.worker is not None:
            self.worker.stop()
            self.worker = None

    def stop(self) -> None:
        """Everything down."""
        self.stop_worker()
        if self.api is not None:
            stop_process(self.api)
        self.stop_temporal()


def _auth(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer demo-{user}"}


class Client:
    """A client that never retries a command: one POST per command, then it only reads."""

    def __init__(self, api: str, tally: Tally, patience: float = 240) -> None:
        # No transport retries either: what the API answered to the one request is what counts.
        self.http = httpx.AsyncClient(base_url=api, timeout=60, transport=httpx.AsyncHTTPTransport(retries=0))
        self.tally = tally
        self.patience = patience  # how long a document may take to reach its next step

    async def command(self, doc: str, what: str, path: str, user: str, body: dict[str, Any]) -> Any:
        """Send once; the JSON of an accepted answer, or None (refused, failed or no answer)."""
        try:
            answer = await self.http.post(path, json=body, headers=_auth(user))
        except httpx.HTTPError:
            self.tally.sent.append(Sent(doc, what, 0))
            return None
        payload = answer.json() if answer.content else None
        command_id = (
            payload.get("command_id") if answer.status_code == 202 and isinstance(payload, dict) else None
        )
        self.tally.sent.append(Sent(doc, what, answer.status_code, command_id))
        return payload if 200 <= answer.status_code < 300 else None

    async def read(self, path: str, user: str = "admin") -> Any:
        """A GET; None for 404 (not there yet) or an API that is busy."""
        try:
            answer = await self.http.get(path, headers=_auth(user))
        except httpx.HTTPError:
            return None
        return answer.json() if answer.status_code == 200 else None

    async def until(self, what: str, probe: Callable[[], Awaitable[Any]], show: str | None = None) -> Any:
        """Poll a read until it is truthy (workflows move in their own time); on timeout show `show`."""
        deadline = time.monotonic() + self.patience
        while time.monotonic() < deadline:
            found = await probe()
            if found:
                return found
            await asyncio.sleep(0.3)
        seen = (await self.http.get(show, headers=_auth("admin"))).text[:2000] if show else None
        raise AssertionError(f"timed out waiting for {what}; {show}: {seen}")

    async def outcome(self, command_id: str, user: str) -> dict[str, Any]:
        """Follow a 202's command URL until the command has an outcome."""

        async def decided() -> Any:
            cmd = await self.read(f"/commands/{command_id}", user)
            return cmd if cmd and cmd["status"] != "pending" else None

        result: dict[str, Any] = await self.until(f"command {command_id}", decided)
        return result

    async def applied(self, answer: Any, user: str) -> bool:
        """True when an accepted answer's command is (or becomes) applied."""
        if not isinstance(answer, dict) or "command_id" not in answer:
            return answer is not None
        outcome = await self.outcome(str(answer["command_id"]), user)
        return bool(outcome["status"] == "applied")


@dataclass(frozen=True)
class Offer:
    """A supplier's price for an untracked item at the central warehouse."""

    supplier_id: int
    item_id: int
    price: Decimal
    location_id: int


async def catalogue(client: Client) -> tuple[list[str], list[Offer]]:
    """Untracked SKUs with stock, and supplier offers, of the demo retailer."""
    # Reads may be repeated (only commands are sent once): a just-started API may still be warming up.
    items = await client.until("items", lambda: client.read("/items?limit=1000"))
    locations = {
        x["code"]: x["id"]
        for x in await client.until("locations", lambda: client.read("/locations?limit=1000"))
    }
    untracked = {i["id"]: i["sku"] for i in items if i["tracking"] == "none" and not i["archived"]}
    offers = [
        Offer(p["supplier_id"], p["item_id"], D(str(p["price"])), locations["WH-CENTRAL"])
        for p in await client.until("prices", lambda: client.read("/supplier-prices?limit=1000"))
        if p["item_id"] in untracked and D(str(p["price"])) * 5 < 4000
    ]
    return sorted(untracked.values()), sorted(offers, key=lambda o: (o.supplier_id, o.item_id))


async def web_order(client: Client, tag: str, sku: str) -> None:
    """Take a web order, wait for its allocation, ship it: each command sent once."""
    body = {
        "channel": "WEB-EU",
        "external_id": tag,
        "customer": "CUST-0001",
        "lines": [{"sku": sku, "qty": "1"}],
    }
    answer = await client.command(tag, "order", "/orders", "sam.sales", body)
    if answer is None or "order_number" not in answer:
        return
    number = str(answer["order_number"])
    client.tally.orders.append(number)
    if not await client.applied(answer, "sam.sales"):
        return

    async def allocated() -> Any:
        # The stage, not the allocation rows: the workflow records "allocated" once it holds the stock
        # itself. Rows can run ahead of a workflow whose worker died, and a shipment then is refused.
        order = await client.read(f"/orders/{number}", "wes.warehouse")
        if not order or order["status"] != "allocated":
            return None
        active = sorted({a["location_id"] for a in order["allocations"] if a["status"] == "active"})
        return active or None

    places = await client.until(f"order {number} allocated", allocated)
    for loc in places:
        event = {"kind": "shipped", "location_id": loc, "carrier": "DHL", "event_id": f"{tag}-{loc}"}
        await client.command(number, "shipped", f"/orders/{number}/warehouse-events", "wes.warehouse", event)


async def purchase(client: Client, tag: str, offer: Offer) -> None:
    """Create, approve (every level), receive and invoice a small PO: each command sent once."""
    body = {
        "entity_id": 1,
        "supplier_id": offer.supplier_id,
        "lines": [{"item_id": offer.item_id, "location_id": offer.location_id, "qty": "5"}],
    }
    answer = await client.command(tag, "po", "/purchase-orders", "bea.buyer", body)
    if answer is None:
        return
    number, currency = str(answer["number"]), str(answer["currency"])
    client.tally.pos.append(number)
    if not await client.applied(answer, "bea.buyer"):
        return
    decided: set[int] = set()
    while True:

        async def next_step() -> Any:
            po = await client.read(f"/purchase-orders/{number}")
            if not po:
                return None
            if po["stage"] not in ("draft", "approval"):
                return "issued" if po["stage"] == "issued" else po["stage"]
            for task in po["tasks"]:
                if task["kind"] == "po_approval" and task["status"] == "open" and task["id"] not in decided:
                    return task
            return None

        step = await client.until(f"PO {number} approval", next_step, show=f"/purchase-orders/{number}")
        if isinstance(step, str):
            break
        decided.add(step["id"])
        user = step["candidate_user"] or "ali.approver"
        sent = await client.command(
            number, "approve", f"/tasks/{step['id']}/decision", user, {"decision": "approve", "comment": "ok"}
        )
        if sent is None or not await client.applied(sent, user):
            return
    receipt = {"delivery_note": f"DN-{tag}", "lines": [{"line_no": 1, "qty": "5"}]}
    sent = await client.command(
        number, "receipt", f"/purchase-orders/{number}/receipts", "wes.warehouse", receipt
    )
    if sent is None or not await client.applied(sent, "wes.warehouse"):
        return
    invoice = {
        "po_number": number,
        "supplier_id": offer.supplier_id,
        "invoice_number": f"INV-{tag}",
        "invoice_date": date.today().isoformat(),
        "currency": currency,
        "lines": [{"line_no": 1, "qty": "5", "price": str(offer.price)}],
    }
    await client.command(number, "invoice", "/supplier-invoices", "ada.ap", invoice)


def _count(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as c:
        return int(c.execute(text(sql), params).scalar_one())


async def verify(client: Client, engine: Engine) -> dict[str, int]:
    """Every accepted command applied exactly once; every document at its stage; the books agree."""
    tally = client.tally
    for sent in tally.accepted:
        if sent.command_id is not None:
            cmd = await client.outcome(sent.command_id, "admin")
            assert cmd["status"] == "applied", (sent, cmd)
    assert _count(engine, "SELECT count(*) FROM api_command WHERE status = 'pending'") == 0

    def at(path: str, field_name: str, wanted: tuple[str, ...]) -> Callable[[], Awaitable[Any]]:
        async def probe() -> Any:
            doc = await client.read(path)
            return doc if doc and doc[field_name] in wanted else None

        return probe

    shipped = {s.doc for s in tally.accepted if s.what == "shipped"}
    for number in shipped:
        await client.until(f"order {number} closed", at(f"/orders/{number}", "status", ("closed",)))
    invoiced = {s.doc for s in tally.accepted if s.what == "invoice"}
    for number in invoiced:
        await client.until(
            f"PO {number} settled", at(f"/purchase-orders/{number}", "stage", SETTLED_PO_STAGES)
        )
    # Exactly once, by business key: one revenue entry and one issue per shipped order; one receipt and
    # one invoice per invoiced PO.
    for number in shipped:
        revenue = _count(
            engine,
            "SELECT count(*) FROM journal_entry WHERE source_id = :n AND idempotency_key LIKE :k",
            n=number,
            k="%:revenue",
        )
        assert revenue == 1, (number, revenue)
        assert _count(engine, "SELECT count(*) FROM stock_move WHERE source_id = :n", n=number) == 1, number
    for number in invoiced:
        receipts = _count(
            engine,
            "SELECT count(*) FROM goods_receipt r JOIN purchase_order p ON p.id = r.po_id WHERE p.number = :n",
            n=number,
        )
        invoices = _count(
            engine,
            "SELECT count(*) FROM supplier_invoice i JOIN purchase_order p ON p.id = i.po_id WHERE p.number = :n",
            n=number,
        )
        assert (receipts, invoices) == (1, 1), (number, receipts, invoices)
    with Session(engine) as session:
        for entity_id in (1, 2):
            books = check_books(session, entity_id)
            assert books.consistent, books
    return {
        "accepted": len(tally.accepted),
        "answered_202": sum(1 for s in tally.accepted if s.status == 202),
        "not_accepted": len(tally.sent) - len(tally.accepted),
        "orders_shipped": len(shipped),
        "pos_invoiced": len(invoiced),
    }


async def kill_storm(system: System, orders: int, pos: int, kills: int, seed: int) -> dict[str, int]:
    """Drive documents while the worker is SIGKILLed at random until `kills` kills, then verify."""
    rng = random.Random(seed)
    worker = system.start_worker()
    tally = Tally()
    # A document waits out the whole storm at worst: every kill costs the worker its start-up (~5 s).
    client = Client(system.api_url, tally, patience=240 + 10 * kills)
    skus, offers = await catalogue(client)
    run = f"E{seed}-{rng.randrange(10**6)}"

    async def storm() -> None:
        """`kills` SIGKILLs at random moments, each after the worker had a few seconds to work; then peace."""
        for _ in range(kills):
            await asyncio.sleep(rng.uniform(5.0, 9.0))
            worker.kill_and_restart()

    await asyncio.gather(
        storm(),
        *(web_order(client, f"{run}-O{i}", skus[i % len(skus)]) for i in range(orders)),
        *(purchase(client, f"{run}-P{i}", offers[(i * 7) % len(offers)]) for i in range(pos)),
    )
    engine = make_engine(system.database_url, app_role="erp_app")
    try:
        summary = await verify(client, engine)
    finally:
        engine.dispose()
        await client.http.aclose()
    return {"kills": worker.kills, **summary}


async def restart_without_worker(system: System, orders: int) -> dict[str, int]:
    """Orders allocated; worker stopped; shipments answered 202; Temporal restarted; then a worker."""
    tally = Tally()
    client = Client(system.api_url, tally)
    skus, _ = await catalogue(client)
    system.start_worker()
    run = f"R{random.randrange(10**6)}"
    numbers: list[str] = []
    for i in range(orders):
        body = {
            "channel": "WEB-EU",
            "external_id": f"{run}-{i}",
            "customer": "CUST-0001",
            "lines": [{"sku": skus[i % len(skus)], "qty": "1"}],
        }
        answer = await client.command(f"{run}-{i}", "order", "/orders", "sam.sales", body)
        assert answer is not None, tally.sent[-1]
        numbers.append(str(answer["order_number"]))
    allocations: dict[str, int] = {}
    for number in numbers:

        async def allocated(n: str = number) -> Any:
            order = await client.read(f"/orders/{n}", "wes.warehouse")
            ready = order is not None and order["status"] == "allocated"
            active = (
                [a["location_id"] for a in order["allocations"] if a["status"] == "active"] if ready else []
            )
            return active[0] if active else None

        allocations[number] = await client.until(f"order {number} allocated", allocated)
    system.stop_worker()
    for number in numbers:
        event = {
            "kind": "shipped",
            "location_id": allocations[number],
            "carrier": "DHL",
            "event_id": f"{number}-x",
        }
        answer = await client.command(
            number, "shipped", f"/orders/{number}/warehouse-events", "wes.warehouse", event
        )
        assert tally.sent[-1].status == 202 and answer and answer["command_id"], tally.sent[-1]
    # Whatever only the server's memory held is gone now.
    system.stop_temporal()
    system.start_temporal()
    system.start_worker()
    engine = make_engine(system.database_url, app_role="erp_app")
    try:
        summary = await verify(client, engine)
    finally:
        engine.dispose()
        await client.http.aclose()
    return summary


async def flash_sale(system: System, orders: int) -> dict[str, Any]:
    """`orders` web orders at once: every answer must name its order, and every named order must exist."""
    system.start_worker()
    tally = Tally()
    client = Client(system.api_url, tally)
    skus, _ = await catalogue(client)
    run = f"F{random.randrange(10**6)}"
    waits: list[float] = []

    async def one(i: int) -> Any:
        body = {
            "channel": "WEB-EU",
            "external_id": f"{run}-{i}",
            "customer": "CUST-0001",
            "lines": [{"sku": skus[i % len(skus)], "qty": "1"}],
        }
        started = time.monotonic()
        answer = await client.command(f"{run}-{i}", "order", "/orders", "sam.sales", body)
        waits.append(time.monotonic() - started)
        return answer

    answers = await asyncio.gather(*(one(i) for i in range(orders)))
    statuses = sorted({s.status for s in tally.sent})
    unnamed = [s for s, a in zip(tally.sent, answers, strict=True) if not (a and a.get("order_number"))]
    assert not unnamed, (statuses, unnamed[:5])
    numbers = [str(a["order_number"]) for a in answers]

    async def stored(n: str) -> Any:
        return await client.read(f"/orders/{n}", "sam.sales")

    for number in numbers:
        await client.until(f"order {number} stored", lambda n=number: stored(n))  # type: ignore[misc]
    await client.http.aclose()
    waits.sort()
    return {
        "orders": orders,
        "answered_201": sum(1 for s in tally.sent if s.status == 201),
        "answered_202": sum(1 for s in tally.sent if s.status == 202),
        "p50_s": round(waits[len(waits) // 2], 2),
        "p99_s": round(waits[min(len(waits) - 1, int(len(waits) * 0.99))], 2),
    }


@contextmanager
def running_system(admin_url: str, template: str, workdir: Path) -> Iterator[System]:
    """A fresh copy of the demo database, Temporal on a file, and the API; the caller adds workers."""
    system = System(copy_database(admin_url, template), workdir)
    try:
        system.start_temporal()
        system.start_api()
        yield system
    finally:
        system.stop()


def main() -> None:
    """`make chaos`: the full-size kill storm and the restart case on their own embedded PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--pos", type=int, default=15)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=int(os.environ.get("ERP_CHAOS_SEED", "20261130")))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="erp-chaos-") as tmp:
        server = start_postgres(Path(tmp) / "pg")
        admin = ensure_database(server.get_uri(), "erp_chaos_admin")
        template = seeded_template(admin)
        print(
            f"seed {args.seed}: {args.orders} web orders and {args.pos} POs, at least {args.kills} worker kills"
        )
        with running_system(admin, template, Path(tmp) / "storm") as system:
            storm = asyncio.run(kill_storm(system, args.orders, args.pos, args.kills, args.seed))
        print("kill storm:", storm)
        with running_system(admin, template, Path(tmp) / "restart") as system:
            restart = asyncio.run(restart_without_worker(system, 4))
        print("restart without worker:", restart)
        with running_system(admin, template, Path(tmp) / "flash") as system:
            flash = asyncio.run(flash_sale(system, 300))
        print("flash sale:", flash)


if __name__ == "__main__":
    main()
