"""What must hold at the end of every simulated day, read from PostgreSQL and from Temporal.

Each check returns the violations it found (empty when it holds): the soak stops at the first day with
one and prints the seed and the step, so the run can be replayed."""

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.client import Client, WorkflowExecutionStatus

from services.core import open_items_reports
from services.core.invariants import check_books
from tests.chaos.soak_client import Accepted
from tests.chaos.soak_clock import PhaseClock
from tests.chaos.sql_reads import pairs, rows
from tests.chaos.stream_checks import closed_periods_locked, counts_posted, settled_once, transfers_conserve

# A running activity at this attempt or beyond, after the day has settled, is retrying in silence.
ENDLESS_ATTEMPTS = 6
SETTLE_SECONDS = 300.0
# How often a check that does not hold yet looks again (a day's end waits on its slowest workflow).
POLL_SECONDS = 0.25
TERMINAL_PO = ("closed", "cancelled", "rejected")
TERMINAL_ORDER = ("closed", "cancelled")
CHECKS_PER_DAY = 11  # every `result.check` in `check_day`


@dataclass
class DayChecks:
    """The checks of one day: how many ran and what each found wrong."""

    day: int
    passed: int = 0
    violations: list[str] = field(default_factory=list)

    def check(self, name: str, found: list[str]) -> None:
        """Record one invariant's result."""
        if found:
            self.violations += [f"{name}: {v}" for v in found[:10]]
        else:
            self.passed += 1


def _until(probe: Callable[[], list[str]], seconds: float) -> list[str]:
    """Poll a check until it holds or time is up (workflows finish a moment after the database)."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(POLL_SECONDS)


def settle(engine: Engine) -> list[str]:
    """Every command the API stored has an outcome (no command lost between the API and Temporal)."""
    return _until(
        lambda: [
            f"{n} command(s) still pending"
            for (n,) in rows(engine, "SELECT count(*) FROM api_command WHERE status = 'pending'")
            if int(str(n))
        ],
        SETTLE_SECONDS,
    )


def books(engine: Engine) -> list[str]:
    """Per entity: every entry balanced, stock ledger == balances == inventory GL, reserved <= on hand."""
    found = []
    with Session(engine) as session:
        for (entity_id,) in rows(engine, "SELECT id FROM entity ORDER BY id"):
            check = check_books(session, int(str(entity_id)))
            if not check.consistent:
                found.append(f"entity {entity_id}: {check}")
    unbalanced = rows(
        engine, "SELECT entry_id FROM journal_line GROUP BY entry_id HAVING sum(amount_func) <> 0 LIMIT 5"
    )
    found += [f"journal entry {e} does not balance" for (e,) in unbalanced]
    return found


def open_items_agree(engine: Engine) -> list[str]:
    """Per entity and side: AP and AR open items equal their control accounts (no posting unrecorded)."""
    found = []
    with Session(engine) as session:
        for (entity_id,) in rows(engine, "SELECT id FROM entity ORDER BY id"):
            for side in open_items_reports.reconciliation(session, int(str(entity_id)), date.today()):
                if side["difference"] != 0:
                    unrecorded = [u["source_id"] for u in side["unrecorded"][:5]]
                    found.append(
                        f"entity {entity_id} {side['side']}: off by {side['difference']} {unrecorded}"
                    )
    return found


def exactly_once(engine: Engine, accepted: list[Accepted], seed: int, refused: list[Accepted]) -> list[str]:
    """Each accepted command's effect exists once: orders, POs, receipts, invoices, shipments."""
    found = []
    orders = {
        str(a.answer["order_number"]) for a in accepted if a.path == "/orders" and "order_number" in a.answer
    }
    stored = {
        str(n): str(st)
        for n, st in rows(
            engine, "SELECT number, status FROM sales_order WHERE external_id LIKE :p", p=f"SIM{seed}-%"
        )
    }
    found += [f"order {n} accepted but not stored" for n in sorted(orders - set(stored))]
    # An order refused at intake (sold out) keeps its row, cancelled: only an accepted one may be live.
    answers = {
        f"{r.body.get('channel')}-{r.body.get('external_id')}": r for r in refused if r.path == "/orders"
    }
    found += [
        f"order {n} is {st} but its intake was refused: {_answer(answers.get(n))}"
        for n, st in stored.items()
        if n not in orders and st != "cancelled"
    ]
    pos = sorted({str(a.answer["number"]) for a in accepted if a.path == "/purchase-orders"})
    known = {
        str(n) for (n,) in rows(engine, "SELECT number FROM purchase_order WHERE number = ANY(:n)", n=pos)
    }
    found += [f"PO {n} accepted but not stored" for n in pos if n not in known]
    receipts = Counter(a.path.split("/")[2] for a in accepted if a.path.endswith("/receipts"))
    booked = pairs(
        engine,
        "SELECT p.number, count(r.id) FROM purchase_order p LEFT JOIN goods_receipt r ON r.po_id = p.id"
        " WHERE p.number = ANY(:n) GROUP BY p.number",
        n=sorted(receipts),
    )
    found += [
        f"PO {number}: {sent} receipt(s) accepted, {booked.get(number, 0)} booked"
        for number, sent in sorted(receipts.items())
        if int(booked.get(number, "0")) != sent
    ]
    invoices = sorted({str(a.body["invoice_number"]) for a in accepted if a.path == "/supplier-invoices"})
    stored_invoices = pairs(
        engine,
        "SELECT invoice_number, count(*) FROM supplier_invoice WHERE invoice_number = ANY(:n)"
        " GROUP BY invoice_number",
        n=invoices,
    )
    found += [
        f"invoice {n} stored {stored_invoices.get(n, 0)} times"
        for n in invoices
        if n and int(stored_invoices.get(n, "0")) != 1
    ]
    # One revenue entry per shipment, one shipment per accepted shipping event.
    doubled = rows(
        engine,
        """
        SELECT o.number, count(DISTINCT s.id), count(DISTINCT e.id)
          FROM sales_order o JOIN shipment s ON s.order_id = o.id
          LEFT JOIN journal_entry e ON e.source_id = o.number AND e.idempotency_key LIKE :revenue
         WHERE o.external_id LIKE :p GROUP BY o.number HAVING count(DISTINCT s.id) <> count(DISTINCT e.id)
        """,
        p=f"SIM{seed}-%",
        revenue="%:revenue",
    )
    found += [f"order {n}: {s} shipment(s), {e} revenue entr(ies)" for n, s, e in doubled]
    return found


def _answer(sent: Accepted | None) -> str:
    return (
        "no answer recorded" if sent is None else f"{sent.status} {str(sent.answer)[:300]} (key {sent.key})"
    )


def grni_cleared(engine: Engine) -> list[str]:
    """A PO whose every received unit is invoiced and approved has nothing left in goods-received-not-invoiced."""
    left = rows(
        engine,
        """
        SELECT p.number, COALESCE(sum(l.amount_func), 0)
          FROM purchase_order p
          JOIN journal_entry e ON e.source_type = 'purchase_order' AND e.source_id = p.number
          JOIN journal_line l ON l.entry_id = e.id
          JOIN account a ON a.id = l.account_id AND a.role = 'grni'
         WHERE p.stage IN ('awaiting_payment', 'closed')
         GROUP BY p.number HAVING COALESCE(sum(l.amount_func), 0) <> 0
        """,
    )
    return [f"PO {n} leaves {v} in GRNI" for n, v in left]


# Statuses at which a document's workflow has ended (its database row says so too).
TERMINAL = {
    "PO": TERMINAL_PO,
    "order": TERMINAL_ORDER,
    "transfer": ("received", "cancelled"),
    "count": ("posted", "cancelled"),
    "close": ("closed",),
}
# Describing workflows one by one is the slow part of a day's end: a few at a time, not all at once.
DESCRIBE_AT_ONCE = 16


async def _statuses(client: Client) -> dict[str, WorkflowExecutionStatus]:
    """Every workflow's status, one listing (the latest run of an id wins)."""
    latest: dict[str, tuple[datetime, WorkflowExecutionStatus | None]] = {}
    async for execution in client.list_workflows(""):
        seen = latest.get(execution.id)
        if seen is None or execution.start_time > seen[0]:
            latest[execution.id] = (execution.start_time, execution.status)
    return {k: st for k, (_, st) in latest.items() if st is not None}


def _documents(engine: Engine, pos: list[str], seed: int) -> list[tuple[object, ...]]:
    """(number, workflow id, status, kind) of every document the soak drove, one query."""
    return rows(
        engine,
        """
        SELECT number, workflow_id, stage, 'PO' FROM purchase_order WHERE number = ANY(:n)
        UNION ALL SELECT number, workflow_id, status, 'order' FROM sales_order WHERE external_id LIKE :p
        UNION ALL SELECT number, workflow_id, status, 'transfer' FROM transfer_order
        UNION ALL SELECT number, workflow_id, status, 'count' FROM cycle_count
        UNION ALL SELECT period, workflow_id, status, 'close' FROM close_run
        """,
        n=pos,
        p=f"SIM{seed}-%",
    )


async def _workflows_agree(engine: Engine, client: Client, pos: list[str], seed: int) -> list[str]:
    found = []
    statuses = await _statuses(client)
    for number, workflow_id, stage, kind in _documents(engine, pos, seed):
        terminal = TERMINAL[str(kind)]
        status = statuses.get(str(workflow_id))
        if status is None:  # a document without a workflow is the finding
            found.append(f"{kind} {number}: no workflow {workflow_id}")
            continue
        running = status == WorkflowExecutionStatus.RUNNING
        if running and stage in terminal:
            found.append(f"{kind} {number} is {stage} but its workflow still runs")
        if not running and stage not in terminal:
            found.append(f"{kind} {number} is {stage} but its workflow is {status.name}")
    return found


async def _retrying(client: Client) -> list[str]:
    """Running workflows with an activity at its ENDLESS_ATTEMPTS-th attempt or beyond."""
    running = [
        (execution.id, execution.run_id)
        async for execution in client.list_workflows('ExecutionStatus = "Running"')
    ]
    gate = asyncio.Semaphore(DESCRIBE_AT_ONCE)

    async def stuck(workflow_id: str, run_id: str | None) -> list[str]:
        async with gate:
            described = await client.get_workflow_handle(workflow_id, run_id=run_id).describe()
        return [
            f"{workflow_id} {p.activity_type.name} attempt {p.attempt}: "
            + (p.last_failure.message if p.HasField("last_failure") else "")[:200]
            for p in described.raw_description.pending_activities
            if p.attempt >= ENDLESS_ATTEMPTS
        ]

    found = await asyncio.gather(*(stuck(w, r) for w, r in running))
    return [f for each in found for f in each]


def temporal_agrees(engine: Engine, address: str, pos: list[str], seed: int) -> tuple[list[str], list[str]]:
    """Documents and their workflows agree on open/closed; no activity retries on and on in silence."""

    async def both() -> tuple[list[str], list[str]]:
        client = await Client.connect(address)
        agree_deadline = time.monotonic() + 60
        while True:
            disagree = await _workflows_agree(engine, client, pos, seed)
            if not disagree or time.monotonic() > agree_deadline:
                break
            await asyncio.sleep(POLL_SECONDS)
        retry_deadline = time.monotonic() + 120
        while True:
            stuck = await _retrying(client)
            if not stuck or time.monotonic() > retry_deadline:
                break
            await asyncio.sleep(1.0)
        return disagree, stuck

    return asyncio.run(both())


def check_day(
    day: int,
    engine: Engine,
    address: str,
    accepted: list[Accepted],
    seed: int,
    refused: list[Accepted],
    clock: PhaseClock,
    counted: list[str],
) -> DayChecks:
    """Every invariant, after the day's commands have settled."""
    result = DayChecks(day)
    with clock.phase("check: commands settled"):
        result.check("commands settled", settle(engine))
    with clock.phase("check: books"):
        result.check("books", books(engine))
    with clock.phase("check: open items"):
        result.check("open items equal control accounts", open_items_agree(engine))
    # A start answered "applied" has its workflow; the document's row comes with its first activity.
    with clock.phase("check: exactly once"):
        result.check("exactly once", _until(lambda: exactly_once(engine, accepted, seed, refused), 120))
    with clock.phase("check: GRNI"):
        result.check("GRNI cleared", _until(lambda: grni_cleared(engine), 60))
    with clock.phase("check: settlements, transfers, counts, close"):
        result.check("settled once, receivable cleared", settled_once(engine, accepted))
        result.check("transfers conserve stock", transfers_conserve(engine, accepted))
        result.check("counts post their differences", counts_posted(engine, accepted, counted))
        result.check("closed periods locked", closed_periods_locked(engine))
    pos = sorted({str(a.answer["number"]) for a in accepted if a.path == "/purchase-orders"})
    with clock.phase("check: Temporal"):
        disagree, stuck = temporal_agrees(engine, address, pos, seed)
    result.check("workflow and database agree", disagree)
    result.check("no endless retry", stuck)
    return result
