"""An AP clerk parks an invoice for three days to wait for the rest of the goods; the goods never come.
When the wait runs out the invoice is an exception again, and the clerks find a NEW task for it in their
inbox (accept or reject; waiting is no longer offered): before, the PO showed "exception" while the only
task was the one already decided, so nobody was ever asked."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Engine, text
from temporalio.testing import WorkflowEnvironment

from models.contracts.purchasing import InvoiceLineIn, InvoiceRequest
from tests.factories import Factory
from tests.purchasing.buyer_desk import open_desk
from tests.purchasing.clock import decide, issued, reach, receive, task_of, today
from worker import build_worker
from workflows.purchasing.purchase_order import PurchaseOrderWorkflow


async def test_an_invoice_whose_wait_ran_out_gets_a_task_of_its_own(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    env = time_skipping
    desk = open_desk(factory, lead_days=30)
    async with build_worker(env.client, engine, task_queue):
        po, handle = await issued(env, engine, desk, task_queue)
        await receive(env, handle, desk, f"DN1-{po.number}", "5")
        invoice = InvoiceRequest(
            invoice_number=f"L-{po.number}",
            invoice_date=await today(env),
            currency="EUR",
            lines=[InvoiceLineIn(line_no=1, qty=Decimal("10"), price=Decimal("10.00"))],
            entered_by=desk.name("clerk"),
        )
        assert (
            await handle.execute_update(PurchaseOrderWorkflow.submit_invoice, invoice)
        ).status == "exception"
        first = await task_of(engine, po.number, "match_exception")
        await decide(
            handle, desk, "clerk", ["ap_clerk"], first["id"], "wait_for_receipt", payload={"days": 3}
        )
        await reach(handle, "receiving")

        await env.sleep(timedelta(days=4))  # the deadline passes with half the goods still missing
        await reach(handle, "exception")
        second = await task_of(engine, po.number, "match_exception")
        assert second["id"] != first["id"]
        assert second["details"]["reasons"] == ["receipt_deadline_passed"]
        with engine.connect() as c:
            options = c.execute(
                text("SELECT options FROM task WHERE id = :t"), {"t": second["id"]}
            ).scalar_one()
        assert sorted(options) == ["accept", "reject"]

        # The clerk rejects it: the invoice is off the PO, which goes on receiving the rest.
        await decide(handle, desk, "clerk", ["ap_clerk"], second["id"], "reject", comment="goods never came")
        status = await reach(handle, "receiving")
        assert status.number == po.number
        await handle.cancel()
