"""Ten shirts arrive with a 5 % landed-cost estimate; four are sold before the freight bill comes. The
freight invoice (8.00, allocated by quantity) clears the 5.00 accrual; of the 3.00 difference 60 % goes to
inventory still held (revaluing the stock itself) and 40 % to cost of goods sold. Both invoices fall due
under NET30: the PO waits 30 days on a durable timer, pays AP from the bank, and closes with its cycle
time."""

import asyncio
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

from models.contracts.purchasing import InvoiceRequest
from rules.accounts import AccountRole
from services.core import stock
from services.core.invariants import check_books
from tests.factories import Factory
from tests.histories import save, should_record
from tests.purchasing.buyer_desk import account_totals, open_desk
from tests.purchasing.clock import invoiced, issued, reach, receive, today
from worker import build_worker
from workflows.purchasing.purchase_order import PurchaseOrderWorkflow
from workflows.search_attributes import DUE_DATE

D = Decimal
HISTORY = Path(__file__).parent / "histories" / "purchase_order_landed_cost_paid_when_due.json"


async def test_freight_trues_up_the_estimate_and_invoices_are_paid_when_due(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    env = time_skipping
    desk = open_desk(factory, terms="NET30")
    assert desk.item.id and desk.warehouse.id
    async with build_worker(env.client, engine, task_queue):
        po, handle = await issued(env, engine, desk, task_queue, "10", landed_pct="5")
        await receive(env, handle, desk, f"DN-{po.number}", "10")
        with Session(engine) as s:
            stock.move(
                s,
                stock.MoveIn(
                    item_id=desk.item.id,
                    location_id=desk.warehouse.id,
                    qty=D(-4),
                    reason="sale",
                    offset_account=AccountRole.COGS,
                    source_type="test",
                    source_id=po.number,
                    idempotency_key=f"sale:{po.number}",
                    posting_date=await today(env),
                ),
            )
            s.commit()
        day = await today(env)
        freight = await handle.execute_update(
            PurchaseOrderWorkflow.submit_invoice,
            InvoiceRequest(
                invoice_number=f"FR-{po.number}",
                invoice_date=day,
                currency="EUR",
                kind="landed_cost",
                amount=D("8.00"),
                basis="qty",
                entered_by=desk.name("clerk"),
            ),
        )
        assert freight.status == "matched"
        goods = await invoiced(env, handle, desk, f"G-{po.number}", "10", "10.00")
        assert goods.status == "matched" and goods.due_date == day + timedelta(days=30)
        status = await reach(handle, "awaiting_payment")
        assert set(status.invoices.values()) == {"approved"}
        # The workflow knows its stage before it is recorded; the due date is shown right after that.
        for _ in range(200):
            due = (await handle.describe()).typed_search_attributes.get(DUE_DATE)
            if due is not None and due.date() == day + timedelta(days=30):
                break
            await asyncio.sleep(0.05)
        assert due is not None and due.date() == day + timedelta(days=30)
        # The PO only finishes after the 30-day payment timer; the test server skips the wait.
        assert await asyncio.wait_for(handle.result(), timeout=60) == "closed"
        if should_record(HISTORY):  # the replay gate keeps landed cost and the payment timer replaying
            save(await handle.fetch_history(), HISTORY)

    # Inventory: 105.00 at receipt - 42.00 sold + 1.80 true-up; COGS 42.00 + 1.20; AP paid 108.00.
    assert account_totals(engine, po.number) == {
        "inventory": D("106.80"),
        "cogs": D("1.20"),
        "bank": D("-108.00"),
    }
    with engine.connect() as c:
        paid = c.execute(
            text(
                "SELECT status, paid_on FROM supplier_invoice i JOIN purchase_order p"
                " ON p.id = i.po_id WHERE p.number = :n ORDER BY i.id"
            ),
            {"n": po.number},
        ).all()
        cycle = c.execute(
            text("SELECT cycle_time_seconds FROM purchase_order WHERE number = :n"), {"n": po.number}
        ).scalar_one()
    assert [(r[0], r[1]) for r in paid] == [("paid", day + timedelta(days=30))] * 2
    # The 1.80 true-up went through the stock ledger: stock value and the inventory account still agree.
    assert desk.entity.id is not None
    with Session(engine) as s:
        books = check_books(s, desk.entity.id)
    assert books.consistent and books.stock_ledger_value == books.inventory_gl == D("64.80")
    assert cycle >= 29 * 24 * 3600  # paid at the start of the due day
