"""A PO that pays its own foreign-currency invoice pays at the payment date's rate and realises the difference.

A Swiss retailer (CHF, no payment runs: its POs pay their own invoices) orders 100 desk lamps from a US supplier
at USD 37.85 under NET30. The treasurer keys USD->CHF 0.8842 the day before the order (the PO's rate), 0.8790
ten days later and 0.8915 on the due date. The invoice of USD 3,785.00 (100 x 37.85) is booked at the PO's
rate: 3,785.00 x 0.8842 = 3,346.697 -> CHF 3,346.70 on AP. On the due date the PO pays the supplier USD
3,785.00, which leaves the bank at that day's 0.8915: 3,785.00 x 0.8915 = 3,374.3275 -> CHF 3,374.33. AP is
debited with the payable it booked, 3,346.70, and the difference is a realised FX loss of 3,374.33 - 3,346.70
= 27.63 (the payment posts AP 3,374.33 at the day's rate, the realised FX entry credits AP 27.63 against FX
gain/loss, as a payment run posts it). The supplier's AP ends at zero, the open items agree with AP, and the
pay activity retried posts nothing twice. (Before, the bank was credited at the PO's rate, CHF 3,346.70, and
no FX was realised: the bank was CHF 27.63 short of what really left it.)"""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

from activities.purchasing import PurchasingActivities
from erp.failures import data_failure
from models.contracts.errors import DATA
from models.contracts.purchasing import InvoiceLineIn, InvoiceRequest, PaymentRequest
from models.contracts.tasks import DecisionRequest
from services.core.open_items_reports import open_items, reconciliation
from services.purchasing.invoice_posting import NoPaymentRate
from tests.factories import Factory
from tests.payments.bank import balances, key_rates
from tests.purchasing.buyer_desk import draft_input, open_desk
from tests.purchasing.clock import decide, issued, reach, receive, task_of, today
from worker import build_worker
from workflows.purchasing.purchase_order import PurchaseOrderWorkflow

D = Decimal


def _supplier_ap(engine: Engine, entity: int, supplier: int) -> Decimal:
    """The supplier's balance on the AP control account (functional currency; credit < 0)."""
    with engine.connect() as c:
        return D(
            c.execute(
                text(
                    "SELECT COALESCE(sum(l.amount_func), 0) FROM journal_line l JOIN account a ON a.id = l.account_id"
                    " WHERE l.entity_id = :e AND a.role = 'ap' AND l.partner_type = 'supplier' AND l.partner_id = :p"
                ),
                {"e": entity, "p": str(supplier)},
            ).scalar_one()
        )


def _entries(engine: Engine, po_number: str) -> list[tuple[str, Decimal]]:
    """The PO's journal entries after its invoice (payment, realised FX): key and the FX gain/loss line."""
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT e.idempotency_key, COALESCE(sum(l.amount_func) FILTER (WHERE a.role = 'fx_gain_loss'), 0)"
                " FROM journal_entry e JOIN journal_line l ON l.entry_id = e.id JOIN account a ON a.id = l.account_id"
                " WHERE e.source_id = :n AND (e.idempotency_key LIKE :payment OR e.idempotency_key LIKE :fx)"
                " GROUP BY e.idempotency_key ORDER BY e.idempotency_key"
            ),
            {"n": po_number, "payment": "%:payment", "fx": "%:fx"},
        ).all()
    return [(str(r[0]), D(r[1])) for r in rows]


async def test_a_po_paying_its_dollar_invoice_itself_pays_at_the_due_days_rate_and_realises_the_loss(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    env = time_skipping
    day = await today(env)
    due = day + timedelta(days=30)
    # USD->CHF: no other scenario keys dollars in francs (or, below, in Singapore dollars).
    key_rates(
        engine,
        "CHF",
        [
            ("USD", day - timedelta(days=1), "0.8842"),
            ("USD", day + timedelta(days=10), "0.8790"),
            ("USD", due, "0.8915"),
        ],
    )
    desk = open_desk(factory, price="37.85", terms="NET30", currency="CHF", supplier_currency="USD")
    assert desk.entity.id is not None and desk.supplier.id is not None
    entity, supplier = desk.entity.id, desk.supplier.id
    async with build_worker(env.client, engine, task_queue):
        po, handle = await issued(env, engine, desk, task_queue, "100")
        assert po.fx_rate == D("0.8842")
        await receive(env, handle, desk, f"DN-{po.number}", "100")
        invoice = f"INV-{po.number}"
        matched = await handle.execute_update(
            PurchaseOrderWorkflow.submit_invoice,
            InvoiceRequest(
                invoice_number=invoice,
                invoice_date=day,
                currency="USD",
                lines=[InvoiceLineIn(line_no=1, qty=D(100), price=D("37.85"))],
                entered_by=desk.name("clerk"),
            ),
        )
        assert matched.status == "matched" and matched.due_date == due
        await reach(handle, "awaiting_payment")
        assert _supplier_ap(engine, entity, supplier) == D("-3346.70")  # 3,785.00 x 0.8842, the PO's rate

        # A payment dated before any dollar rate was keyed has no rate: the pay activity fails for good as bad
        # data (typed "DataError", so the PO parks on an admin task until the rate is keyed), posting nothing.
        early = PaymentRequest(
            number=po.number, invoice_id=matched.invoice_id, paid_on=day - timedelta(days=400)
        )
        with pytest.raises(NoPaymentRate) as missing:
            PurchasingActivities(engine).pay(early)
        failure = data_failure(missing.value)
        assert failure is not None and failure.type == DATA and failure.non_retryable
        assert _entries(engine, po.number) == []

        # The due date comes (the test server skips the 30 days): the PO pays its invoice itself and closes.
        assert await handle.result() == "closed"

    done = balances(engine, entity)
    assert done["bank"] == D("-3374.33")  # 3,785.00 x 0.8915, the due date's rate
    assert done["fx_gain_loss"] == D("27.63")  # 3,374.33 paid for a payable booked at 3,346.70
    assert "ap" not in done and _supplier_ap(engine, entity, supplier) == 0
    assert _entries(engine, po.number) == [
        (f"po:{po.number}:invoice:{matched.invoice_id}:fx", D("27.63")),
        (f"po:{po.number}:invoice:{matched.invoice_id}:payment", D(0)),
    ]
    with engine.connect() as c:
        bank_rate = c.execute(
            text(
                "SELECT DISTINCT l.fx_rate FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id"
                " WHERE e.idempotency_key = :k"
            ),
            {"k": f"po:{po.number}:invoice:{matched.invoice_id}:payment"},
        ).scalar_one()
        status, paid_on = c.execute(
            text("SELECT status, paid_on FROM supplier_invoice WHERE id = :i"), {"i": matched.invoice_id}
        ).one()
    assert D(bank_rate) == D("0.8915") and (status, paid_on) == ("paid", due)

    # Nothing is owed to the supplier, and the open items (the exchange difference included) agree with AP.
    with Session(engine) as s:
        still_open = open_items(s, [entity], "ap", due)
        ap = next(side for side in reconciliation(s, entity, due) if side["side"] == "ap")
    assert [(i["document_ref"], i["open"]) for i in still_open] == []
    assert ap["difference"] == 0 and not ap["unrecorded"], ap
    with engine.connect() as c:
        difference = c.execute(
            text(
                "SELECT currency, amount, amount_func FROM open_item WHERE entity_id = :e AND document_ref = :r"
            ),
            {"e": entity, "r": f"fx:{invoice}"},
        ).one()
    assert (difference[0], D(difference[1]), D(difference[2])) == ("USD", D(0), D("-27.63"))

    # The activity retried (a worker lost its answer): the same payment, nothing posted twice.
    again = PurchasingActivities(engine).pay(
        PaymentRequest(number=po.number, invoice_id=matched.invoice_id, paid_on=due)
    )
    with engine.connect() as c:
        paid_entry = c.execute(
            text("SELECT id FROM journal_entry WHERE idempotency_key = :k"),
            {"k": f"po:{po.number}:invoice:{matched.invoice_id}:payment"},
        ).scalar_one()
    assert again == paid_entry
    assert balances(engine, entity) == done
    assert len(_entries(engine, po.number)) == 2


async def test_a_payment_day_without_a_rate_parks_the_po_until_the_rate_is_keyed_and_an_admin_retries(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    """A Singapore shop's buyer dates a dollar PO a week ahead, on the day its rate 1.3520 is keyed (USD 378.50
    booked at SGD 511.73: 378.50 x 1.3520 = 511.732); the invoice is due at once, and no rate is keyed on or before
    today: the PO stops in needs_attention on an admin task (nothing retries). The treasurer keys today's 1.3475,
    the admin retries, and the PO pays SGD 510.03 (378.50 x 1.3475 = 510.02875) for a realised gain of 1.70."""
    env = time_skipping
    day = await today(env)
    ordered = day + timedelta(days=7)
    desk = open_desk(factory, price="37.85", currency="SGD", supplier_currency="USD")
    admin, _ = factory.user("admin", entities=(desk.entity,))
    assert desk.entity.id is not None and desk.supplier.id is not None
    entity, supplier = desk.entity.id, desk.supplier.id
    key_rates(engine, "SGD", [("USD", ordered, "1.3520")])
    async with build_worker(env.client, engine, task_queue):
        po = draft_input(engine, desk, "10", order_date=ordered)
        handle = await env.client.start_workflow(
            PurchaseOrderWorkflow.run, po, id=po.workflow_id, task_queue=task_queue
        )
        approval = await task_of(engine, po.number, "po_approval")
        await decide(handle, desk, "approver", ["approver"], approval["id"], "approve", revision=1)
        await reach(handle, "issued")
        await receive(env, handle, desk, f"DN-{po.number}", "10")
        matched = await handle.execute_update(
            PurchaseOrderWorkflow.submit_invoice,
            InvoiceRequest(
                invoice_number=f"INV-{po.number}",
                invoice_date=day,
                currency="USD",
                lines=[InvoiceLineIn(line_no=1, qty=D(10), price=D("37.85"))],
                entered_by=desk.name("clerk"),
            ),
        )
        assert matched.status == "matched" and matched.due_date == day

        # Due today, and no dollar rate is known for today: the PO waits on the admin, nothing retrying.
        stuck = await task_of(engine, po.number, "needs_attention")
        assert stuck["candidate_role"] == "admin" and stuck["details"]["step"] == "PurchasingActivities.pay"
        assert "no exchange rate USD->SGD" in stuck["details"]["error"], stuck["details"]
        status = await reach(handle, "needs_attention")
        assert status.pending_on == "admin"
        assert list((await handle.describe()).raw_description.pending_activities) == []
        assert _entries(engine, po.number) == []

        key_rates(engine, "SGD", [("USD", day, "1.3475")])
        await handle.execute_update(
            PurchaseOrderWorkflow.decide,
            DecisionRequest(
                task_id=stuck["id"], decision="retry", actor=admin.username, actor_roles=["admin"]
            ),
        )
        assert await handle.result() == "closed"

    done = balances(engine, entity)
    assert done["bank"] == D("-510.03")  # 378.50 x 1.3475, today's rate keyed after the stop
    assert done["fx_gain_loss"] == D("-1.70")  # booked at 511.73, paid 510.03: a gain
    assert "ap" not in done and _supplier_ap(engine, entity, supplier) == 0
