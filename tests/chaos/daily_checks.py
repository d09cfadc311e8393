"""What must hold at the end of every simulated day, read from PostgreSQL and from Temporal.

Each check returns the violations it found (empty when it holds): the soak stops at the first day with
one and prints the seed and the step, so the run can be replayed."""

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.client import Client, WorkflowExecutionStatus

from services import open_items_reports
from services.invariants import check_books
from tests.chaos.soak_client import Accepted

# A running activity at this attempt or beyond, after the day has settled, is retrying in silence.
ENDLESS_ATTEMPTS = 6
SETTLE_SECONDS = 300.0
TERMINAL_PO = ("closed", "cancelled", "rejected")
TERMINAL_ORDER = ("closed", "cancelled")


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


def _rows(engine: Engine, sql: str, **params: object) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def _until(probe: Callable[[], list[str]], seconds: float) -> list[str]:
    """Poll a check until it holds or time is up (workflows finish a moment after the database)."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(1.0)


def settle(engine: Engine) -> list[str]:
    """Every command the API stored has an outcome (no command lost between the API and Temporal)."""
    return _until(
        lambda: [
            f"{n} command(s) still pending"
            for (n,) in _rows(engine, "SELECT count(*) FROM api_command WHERE status = 'pending'")
            if int(str(n))
        ],
        SETTLE_SECONDS,
    )


def books(engine: Engine) -> list[str]:
    """Per entity: every entry balanced, stock ledger == balances == inventory GL, reserved <= on hand."""
    found = []
    with Session(engine) as session:
        for (entity_id,) in _rows(engine, "SELECT id FROM entity ORDER BY id"):
            check = check_books(session, int(str(entity_id)))
            if not check.consistent:
                found.append(f"entity {entity_id}: {check}")
    unbalanced = _rows(
        engine, "SELECT entry_id FROM journal_line GROUP BY entry_id HAVING sum(amount_func) <> 0 LIMIT 5"
    )
    found += [f"journal entry {e} does not balance" for (e,) in unbalanced]
    return found


def open_items_agree(engine: Engine) -> list[str]:
    """Per entity and side: AP and AR open items equal their control accounts (no posting unrecorded)."""
    found = []
    with Session(engine) as session:
        for (entity_id,) in _rows(engine, "SELECT id FROM entity ORDER BY id"):
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
        for n, st in _rows(
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
    pos = {str(a.answer["number"]) for a in accepted if a.path == "/purchase-orders"}
    missing = [n for n in pos if not _rows(engine, "SELECT 1 FROM purchase_order WHERE number = :n", n=n)]
    found += [f"PO {n} accepted but not stored" for n in missing]
    receipts = Counter(a.path.split("/")[2] for a in accepted if a.path.endswith("/receipts"))
    for number, sent in receipts.items():
        (booked,) = _rows(
            engine,
            "SELECT count(*) FROM goods_receipt r JOIN purchase_order p ON p.id = r.po_id WHERE p.number = :n",
            n=number,
        )[0]
        if int(str(booked)) != sent:
            found.append(f"PO {number}: {sent} receipt(s) accepted, {booked} booked")
    for a in accepted:
        if a.path == "/supplier-invoices":
            number = str(a.body["invoice_number"])
            rows = _rows(engine, "SELECT count(*) FROM supplier_invoice WHERE invoice_number = :n", n=number)
            if number and int(str(rows[0][0])) != 1:
                found.append(f"invoice {number} stored {rows[0][0]} times")
    # One revenue entry per shipment, one shipment per accepted shipping event.
    doubled = _rows(
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
    rows = _rows(
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
    return [f"PO {n} leaves {v} in GRNI" for n, v in rows]


async def _workflows_agree(engine: Engine, client: Client, pos: list[str], seed: int) -> list[str]:
    found = []
    documents = _rows(
        engine, "SELECT number, workflow_id, stage, 'PO' FROM purchase_order WHERE number = ANY(:n)", n=pos
    ) + _rows(
        engine,
        "SELECT number, workflow_id, status, 'order' FROM sales_order WHERE external_id LIKE :p",
        p=f"SIM{seed}-%",
    )
    for number, workflow_id, stage, kind in documents:
        terminal = TERMINAL_PO if kind == "PO" else TERMINAL_ORDER
        try:
            described = await client.get_workflow_handle(str(workflow_id)).describe()
        except Exception as exc:  # a document without a workflow is the finding
            found.append(f"{kind} {number}: no workflow {workflow_id} ({type(exc).__name__})")
            continue
        running = described.status == WorkflowExecutionStatus.RUNNING
        if running and stage in terminal:
            found.append(f"{kind} {number} is {stage} but its workflow still runs")
        if not running and stage not in terminal:
            found.append(f"{kind} {number} is {stage} but its workflow is {described.status}")
    return found


async def _retrying(client: Client) -> list[str]:
    found = []
    async for execution in client.list_workflows('ExecutionStatus = "Running"'):
        described = await client.get_workflow_handle(execution.id, run_id=execution.run_id).describe()
        for pending in described.raw_description.pending_activities:
            if pending.attempt >= ENDLESS_ATTEMPTS:
                error = pending.last_failure.message if pending.HasField("last_failure") else ""
                found.append(
                    f"{execution.id} {pending.activity_type.name} attempt {pending.attempt}: {error[:200]}"
                )
    return found


def temporal_agrees(engine: Engine, address: str, pos: list[str], seed: int) -> tuple[list[str], list[str]]:
    """Documents and their workflows agree on open/closed; no activity retries on and on in silence."""

    async def both() -> tuple[list[str], list[str]]:
        client = await Client.connect(address)
        agree_deadline = time.monotonic() + 60
        while True:
            disagree = await _workflows_agree(engine, client, pos, seed)
            if not disagree or time.monotonic() > agree_deadline:
                break
            await asyncio.sleep(1.0)
        retry_deadline = time.monotonic() + 120
        while True:
            stuck = await _retrying(client)
            if not stuck or time.monotonic() > retry_deadline:
                break
            await asyncio.sleep(2.0)
        return disagree, stuck

    return asyncio.run(both())


def check_day(
    day: int, engine: Engine, address: str, accepted: list[Accepted], seed: int, refused: list[Accepted]
) -> DayChecks:
    """Every invariant, after the day's commands have settled."""
    result = DayChecks(day)
    result.check("commands settled", settle(engine))
    result.check("books", books(engine))
    result.check("open items equal control accounts", open_items_agree(engine))
    # A start answered "applied" has its workflow; the document's row comes with its first activity.
    result.check("exactly once", _until(lambda: exactly_once(engine, accepted, seed, refused), 120))
    result.check("GRNI cleared", _until(lambda: grni_cleared(engine), 60))
    pos = sorted({str(a.answer["number"]) for a in accepted if a.path == "/purchase-orders"})
    disagree, stuck = temporal_agrees(engine, address, pos, seed)
    result.check("workflow and database agree", disagree)
    result.check("no endless retry", stuck)
    return result
