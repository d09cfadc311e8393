"""A PO that pays itself pays what a payment run left open of its invoice. A Czech retailer (CZK) orders 10
cables from a US supplier at USD 12.35 under NET30, at the order day's 24.045: the invoice of USD 123.50 is
booked at CZK 2,969.56 (123.50 x 24.045 = 2,969.5575) and falls due in 30 days. Meanwhile the controller
switches the entity to payment runs (the PO, created before, keeps paying itself on its due date), and the
AP clerk's run dated on the due date pays 40 % (USD 49.40 at 24.50 = CZK 1,210.30 against its share of
1,187.82 of the booked payable: a realised loss of 22.48). On the due date the PO pays the remaining USD
74.10 itself, at that day's rate like the run (74.10 x 24.50 = 1,815.45), and books what that costs more than
the remaining share of the payable (2,969.56 - 1,187.82 = 1,781.74) as realised FX, a loss of 33.71, so AP
ends at zero; the invoice is paid, nothing of it stays open, and the PO closes. A later run finds nothing to
pay. (Before, the PO took the run's part for the whole invoice: it closed as paid with USD 74.10 still owed,
until some later run happened to pay it. And until the PO's own payment realised FX, the rest left the bank at
the PO's 24.045, CZK 1,781.73, with only the cent to 1,781.74 realised.)"""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from models.contracts.payments import PartPayment, PaymentRunInput
from models.contracts.purchasing import InvoiceLineIn, InvoiceRequest
from models.contracts.tasks import DecisionRequest
from services.core.open_items_reports import open_items, reconciliation
from services.payments.runs import run_workflow_id
from tests.factories import Factory
from tests.histories import save, should_record
from tests.payments.bank import HOUSE_BANK, balances, key_rates, open_task, supplier_bank
from tests.purchasing.buyer_desk import Desk, open_desk
from tests.purchasing.clock import issued, reach, receive, today, until
from worker import build_worker
from workflows.payments.payment_run import PaymentRunWorkflow
from workflows.purchasing.purchase_order import PurchaseOrderWorkflow

D = Decimal
HISTORIES = Path(__file__).parents[1] / "purchasing" / "histories"
HISTORY = HISTORIES / "purchase_order_rest_paid_after_a_part_run.json"


def _switch_to_runs(engine: Engine, desk: Desk) -> None:
    """The controller's house bank with payment runs on (what PUT /payment-settings stores)."""
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO payment_setting (entity_id, uses_payment_runs, account_name, iban, bic, updated_by)"
                " VALUES (:e, true, :n, :i, :b, :by)"
            ),
            {
                "e": desk.entity.id,
                "n": HOUSE_BANK["account_name"],
                "i": HOUSE_BANK["iban"],
                "b": HOUSE_BANK["bic"],
                "by": desk.name("controller"),
            },
        )


async def _run(
    env: WorkflowEnvironment, engine: Engine, desk: Desk, task_queue: str, on: date, parts: list[PartPayment]
) -> WorkflowHandle[PaymentRunWorkflow, str]:
    """The clerk's run on a date (as the API starts it); a controller approves it when it proposes anything."""
    assert desk.entity.id is not None
    run = PaymentRunInput(
        workflow_id=run_workflow_id(desk.entity.code, on),
        entity_id=desk.entity.id,
        run_date=on,
        proposed_by=desk.name("clerk"),
        parts=parts,
    )
    handle = await env.client.start_workflow(
        PaymentRunWorkflow.run, run, id=run.workflow_id, task_queue=task_queue
    )
    proposed = await handle.execute_update(PaymentRunWorkflow.proposed)
    if proposed.proposed:
        task = await until(lambda: open_task(engine, run.workflow_id, "payment_run_approval"), "run approval")
        approve = DecisionRequest(
            task_id=task, decision="approve", actor=desk.name("controller"), actor_roles=["controller"]
        )
        await handle.execute_update(PaymentRunWorkflow.decide, approve)
    return handle


def _open_on_invoice(engine: Engine, desk: Desk, invoice: str, on: date) -> Decimal:
    """What the open-items report shows open on the invoice (payables positive)."""
    assert desk.entity.id is not None
    with Session(engine) as s:
        items = open_items(s, [desk.entity.id], "ap", on)
    return sum((D(i["open"]) for i in items if i["document_ref"] == invoice), D(0))


async def test_a_po_pays_itself_what_a_payment_run_left_open_of_its_invoice(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    env = time_skipping
    day = await today(env)
    due = day + timedelta(days=30)
    # USD->CZK: no other scenario trades in CZK.
    key_rates(engine, "CZK", [("USD", day - timedelta(days=1), "24.0450"), ("USD", due, "24.5000")])
    desk = open_desk(factory, price="12.35", terms="NET30", currency="CZK", supplier_currency="USD")
    assert desk.entity.id is not None
    entity = desk.entity.id
    supplier_bank(engine, desk.supplier, "GB29NWBK60161331926819", "NWBKGB2L")
    async with build_worker(env.client, engine, task_queue):
        po, handle = await issued(env, engine, desk, task_queue, "10")
        await receive(env, handle, desk, f"DN-{po.number}", "10")
        invoice = f"INV-{po.number}"
        matched = await handle.execute_update(
            PurchaseOrderWorkflow.submit_invoice,
            InvoiceRequest(
                invoice_number=invoice,
                invoice_date=day,
                currency="USD",
                lines=[InvoiceLineIn(line_no=1, qty=D(10), price=D("12.35"))],
                entered_by=desk.name("clerk"),
            ),
        )
        assert matched.status == "matched" and matched.due_date == due
        await reach(handle, "awaiting_payment")
        assert balances(engine, entity)["ap"] == D("-2969.56")  # 123.50 x 24.045, the PO's rate

        # Cash is short: the run dated on the due date pays 40 % only.
        _switch_to_runs(engine, desk)
        with engine.connect() as c:
            invoice_id = int(
                c.execute(
                    text("SELECT id FROM supplier_invoice WHERE invoice_number = :n"), {"n": invoice}
                ).scalar_one()
            )
        part = await _run(
            env, engine, desk, task_queue, due, [PartPayment(invoice_id=invoice_id, amount=D("49.40"))]
        )
        assert await part.result() == "paid"
        assert _open_on_invoice(engine, desk, invoice, due) == D("74.10")
        owed = balances(engine, entity)
        assert owed["ap"] == D("-1781.74")  # 2,969.56 less the part's share 1,187.82
        assert owed["fx_gain_loss"] == D("22.48")  # 49.40 x 24.50 = 1,210.30 paid for 1,187.82

        # The due date comes: the PO pays the rest itself and closes (the test server skips the 30 days).
        assert await handle.result() == "closed"
        if should_record(HISTORY):  # the PO's own payment after a run's part, kept in the replay gate
            save(await handle.fetch_history(), HISTORY)
        later = await _run(env, engine, desk, task_queue, due + timedelta(days=1), [])
        assert await later.result() == "empty"  # nothing is left to pay

    done = balances(engine, entity)
    assert "ap" not in done  # -2,969.56 + 1,210.30 - 22.48 + 1,815.45 - 33.71
    assert done["bank_in_transit"] == D("-1210.30")
    assert done["bank"] == D("-1815.45")  # 74.10 x 24.50, the due date's rate
    assert done["fx_gain_loss"] == D("56.19")  # the run's loss of 22.48 and the PO's of 33.71
    with Session(engine) as s:
        still_open = open_items(s, [entity], "ap", due)
    # Nothing is owed to the supplier: no document of it, and no exchange difference, shows as open.
    assert [(i["document_ref"], i["currency"], i["open"]) for i in still_open] == []
    with engine.connect() as c:
        status, paid_on = c.execute(
            text("SELECT status, paid_on FROM supplier_invoice WHERE id = :i"), {"i": invoice_id}
        ).one()
    assert (status, paid_on) == ("paid", due)
    with Session(engine) as s:
        ap = next(side for side in reconciliation(s, entity, due) if side["side"] == "ap")
    assert ap["difference"] == 0 and not ap["unrecorded"], ap
