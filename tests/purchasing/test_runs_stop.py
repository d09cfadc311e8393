"""An entity stops paying its suppliers by payment runs, and the POs that waited for a run pay themselves.

Nordwind pays suppliers by weekly payment runs. A PO of 10 shirts at 10.00 (terms NET30) is created, received
and invoiced while runs are on, so a run is to pay it: on the due date the PO looks, finds runs still on, and
does not pay (it looks again each day). A week after the due date the treasurer switches runs off (the bank's
payment-run contract ended) and no run will come. At its next daily look the PO pays the 100.00 itself, AP ->
bank, and closes: before, it waited for ever in "awaiting payment"."""

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, text
from temporalio.testing import WorkflowEnvironment

from tests.factories import Factory
from tests.histories import save, should_record
from tests.payments.bank import HOUSE_BANK
from tests.purchasing.buyer_desk import account_totals, open_desk
from tests.purchasing.clock import invoiced, issued, reach, receive, today
from worker import build_worker

D = Decimal
HISTORY = Path(__file__).parent / "histories" / "purchase_order_pays_itself_when_runs_stop.json"


def _runs(engine: Engine, entity_id: int, on: bool) -> None:
    """The treasurer's payment setting, as PUT /payment-settings stores it."""
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO payment_setting (entity_id, uses_payment_runs, account_name, iban, bic, updated_by)"
                " VALUES (:e, :u, :n, :i, :b, 'treasurer') ON CONFLICT (entity_id) DO UPDATE SET uses_payment_runs = :u"
            ),
            {
                "e": entity_id,
                "u": on,
                "n": HOUSE_BANK["account_name"],
                "i": HOUSE_BANK["iban"],
                "b": HOUSE_BANK["bic"],
            },
        )


def _paid_on(engine: Engine, number: str) -> date | None:
    with engine.connect() as c:
        found = c.execute(
            text(
                "SELECT i.paid_on FROM supplier_invoice i JOIN purchase_order p ON p.id = i.po_id WHERE p.number = :n"
            ),
            {"n": number},
        ).scalar_one()
    return None if found is None else date.fromisoformat(str(found))


async def test_a_po_waiting_for_a_run_pays_itself_once_runs_are_switched_off(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    env = time_skipping
    desk = open_desk(factory, terms="NET30")
    assert desk.entity.id
    _runs(engine, desk.entity.id, True)
    async with build_worker(env.client, engine, task_queue):
        po, handle = await issued(env, engine, desk, task_queue, "10")
        assert po.paid_by_runs
        await receive(env, handle, desk, f"DN-{po.number}", "10")
        day = await today(env)
        goods = await invoiced(env, handle, desk, f"G-{po.number}", "10", "10.00")
        due = day + timedelta(days=30)
        assert goods.status == "matched" and goods.due_date == due
        await reach(handle, "awaiting_payment")

        # A week past the due date, runs still on: the PO has looked each day and paid nothing.
        await env.sleep(timedelta(days=37))
        status = await reach(handle, "awaiting_payment")
        assert set(status.invoices.values()) == {"approved"}
        assert _paid_on(engine, po.number) is None
        assert "bank" not in account_totals(engine, po.number)

        _runs(engine, desk.entity.id, False)
        switched = await today(env)
        # The test server skips to the next daily look; a PO waiting for a run that never comes never ends.
        assert await asyncio.wait_for(handle.result(), timeout=60) == "closed"
        if should_record(HISTORY):  # the replay gate keeps the daily look and the payment replaying
            save(await handle.fetch_history(), HISTORY)

    paid_on = _paid_on(engine, po.number)
    assert paid_on is not None and switched <= paid_on <= switched + timedelta(days=1), (paid_on, switched)
    assert account_totals(engine, po.number) == {"inventory": D("100.00"), "bank": D("-100.00")}
