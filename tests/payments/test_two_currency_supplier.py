"""A Polish retailer (PLN) buys from one supplier in two currencies, and the month end revalues each currency
once. Yesterday the buyer ordered shirts in USD (rate 4.00) and scarves in GBP (rate 5.00): PO 1 of 10 shirts
at USD 10.00 (USD 100.00 = PLN 400.00) is invoiced and paid by today's payment run at 4.10 (PLN 410.00: a
realised loss of 10.00); PO 2 of 10 shirts (USD 100.00 = PLN 400.00) and PO 3 of 10 scarves at GBP 8.00
(GBP 80.00 = PLN 400.00) are invoiced after the run and still owed at month end, when USD is at 3.90 and GBP
at 5.20. The close revalues the USD 100.00 to PLN 390.00 (a gain of 10.00) and the GBP 80.00 to PLN 416.00
(a loss of 16.00): AP ends at -806.00, exactly the two open invoices at the closing rates. The realised loss
of PO 1 belongs to the USD balance alone (counted against the GBP balance too, the GBP loss would shrink to
6.00 and AP end at -796.00). The open items, restated by the revaluation, agree with the AP control account,
and the aging shows USD 100.00 and GBP 80.00 owed to the supplier and nothing in PLN (the realised loss moved
only PO 1's functional value). A second round of the same close (after a send-back) books nothing more."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from rules.periods import period_bounds, period_of
from services.close.postings import revalue_fx
from services.core.open_items_reports import aging, reconciliation
from tests.factories import Factory
from tests.payments.bank import HOUSE_BANK, balances, key_rates, open_task, supplier_bank
from tests.purchasing.buyer_desk import Desk, bearer, create_po, decide, eventually, open_desk, wait_stage
from tests.purchasing.buyer_desk import open_task as po_task

D = Decimal


def _invoiced_po(
    api: TestClient, engine: Engine, desk: Desk, currency: str, price: str, ordered: date
) -> str:
    """A PO of 10 units ordered on a day (its rate) in a currency, approved, received and invoiced today."""
    body = {
        "entity_id": desk.entity.id,
        "supplier_id": desk.supplier.id,
        "currency": currency,
        "order_date": ordered.isoformat(),
        "expected_date": (date.today() + timedelta(days=7)).isoformat(),
        "lines": [{"item_id": desk.item.id, "location_id": desk.warehouse.id, "qty": "10", "price": price}],
    }
    number = create_po(api, desk.token("buyer"), body)
    task = eventually(lambda: po_task(engine, number, "po_approval"), "PO approval")
    assert decide(api, desk.token("approver"), task["id"], "approve", revision=1).status_code == 200
    wait_stage(engine, number, "issued")
    received = api.post(
        f"/purchase-orders/{number}/receipts",
        headers=bearer(desk.token("receiver")),
        json={"delivery_note": f"DN-{number}", "lines": [{"line_no": 1, "qty": "10"}]},
    )
    assert received.status_code == 200, received.text
    invoice = api.post(
        "/supplier-invoices",
        headers=bearer(desk.token("clerk")),
        json={
            "po_number": number,
            "supplier_id": desk.supplier.id,
            "invoice_number": f"INV-{number}",
            "invoice_date": date.today().isoformat(),
            "currency": currency,
            "lines": [{"line_no": 1, "qty": "10", "price": price}],
        },
    )
    assert invoice.status_code == 200 and invoice.json()["status"] == "matched", invoice.text
    wait_stage(engine, number, "awaiting_payment")
    return number


def _paid_run(api: TestClient, engine: Engine, desk: Desk, run_date: date) -> dict[str, Any]:
    """Today's run proposed by the clerk and approved by a controller, as paid."""
    started = api.post(
        "/payment-runs",
        json={"entity_id": desk.entity.id, "run_date": run_date.isoformat()},
        headers=bearer(desk.token("clerk")),
    )
    assert started.status_code == 201 and started.json()["proposed"] == 1, started.text
    task = eventually(lambda: open_task(engine, started.json()["workflow_id"], "payment_run_approval"), "run")
    assert decide(api, desk.token("controller"), task, "approve").status_code == 200
    ctl = bearer(desk.token("controller"))

    def paid() -> dict[str, Any] | None:
        found: dict[str, Any] = api.get(f"/payment-runs/{started.json()['run_id']}", headers=ctl).json()
        return found if found["status"] == "paid" else None

    return eventually(paid, "the run paid")


def _revalue(engine: Engine, desk: Desk, period: str, round_no: int) -> dict[str, Any]:
    """The close's revaluation step of the period, as the close runs it (one transaction)."""
    assert desk.entity.id is not None
    with Session(engine) as s:
        result = revalue_fx(s, desk.entity.id, desk.entity.code, period, "PLN", round_no)
        s.commit()
    return result


async def test_a_supplier_owed_in_usd_and_gbp_is_revalued_once_per_currency(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    today = date.today()
    yesterday = today - timedelta(days=1)
    # The month after today's run: on the last day of a month the closing rate gets a day of its own.
    period = period_of(today + timedelta(days=1))
    _, month_end = period_bounds(period)
    key_rates(  # into PLN: no other scenario trades in PLN
        engine,
        "PLN",
        [
            ("USD", yesterday, "4.0000"),
            ("GBP", yesterday, "5.0000"),
            ("USD", today, "4.1000"),
            ("GBP", today, "5.1000"),
            ("USD", month_end, "3.9000"),
            ("GBP", month_end, "5.2000"),
        ],
    )
    desk = open_desk(factory, price="10.00", currency="PLN", supplier_currency="USD")
    assert desk.entity.id is not None
    entity = desk.entity.id
    supplier_bank(engine, desk.supplier, "GB29NWBK60161331926819", "NWBKGB2L")
    setting = {**HOUSE_BANK, "uses_payment_runs": True}
    answer = api.put(f"/payment-settings/{entity}", json=setting, headers=bearer(desk.token("controller")))
    assert answer.status_code == 200, answer.text

    po1 = _invoiced_po(api, engine, desk, "USD", "10.00", yesterday)
    run = _paid_run(api, engine, desk, today)
    # USD 100.00 booked at the PO's 4.00 = 400.00, paid at 4.10 = 410.00: a realised loss of 10.00.
    assert [(i["currency"], D(i["amount"]), D(i["realised_fx"])) for i in run["items"]] == [
        ("USD", D("100.00"), D("-10.00"))
    ]
    wait_stage(engine, po1, "closed")
    _invoiced_po(api, engine, desk, "USD", "10.00", yesterday)
    _invoiced_po(api, engine, desk, "GBP", "8.00", yesterday)
    before = balances(engine, entity)
    assert before["ap"] == D("-800.00") and before["fx_gain_loss"] == D("10.00")

    first = _revalue(engine, desk, period, 1)
    partner = f"supplier:{desk.supplier.id}"
    assert {
        (i["partner"], i["currency"], i["open_amount"], i["revaluation"]) for i in first["open_items"]
    } == {
        (partner, "USD", "-100.00", "10.00"),  # 100.00 x 3.90 = 390.00 owed instead of 400.00
        (partner, "GBP", "-80.00", "-16.00"),  # 80.00 x 5.20 = 416.00 owed instead of 400.00
    }
    assert first["fx_result"] == "-6.00"  # a gain of 10.00 and a loss of 16.00
    with engine.connect() as c:
        ap_at_month_end = D(
            c.execute(
                text(
                    "SELECT sum(l.amount_func) FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id"
                    " JOIN account a ON a.id = l.account_id"
                    " WHERE l.entity_id = :e AND a.role = 'ap' AND e.posting_date <= :d"
                ),
                {"e": entity, "d": month_end},
            ).scalar_one()
        )
    assert ap_at_month_end == D("-806.00")  # 390.00 + 416.00: the open invoices at the closing rates
    with Session(engine) as s:
        ap = next(side for side in reconciliation(s, entity, month_end) if side["side"] == "ap")
        aged = aging(s, [entity], "ap", month_end)
    # The open items, restated by the revaluation, agree with the control account.
    assert (ap["open_items"], ap["difference"], ap["unrecorded"]) == (D("806.00"), 0, []), ap
    # Aged per currency: what is owed in USD and GBP, and no PLN row for PO 1's realised loss.
    assert sorted((r["counterparty"], r["currency"], r["total"]) for r in aged) == [
        (desk.supplier.code, "GBP", D("80.00")),
        (desk.supplier.code, "USD", D("100.00")),
    ]

    # Sent back and closed again: the second round finds everything revalued already.
    second = _revalue(engine, desk, period, 2)
    assert [i["revaluation"] for i in second["open_items"]] == ["0.00", "0.00"]
    assert second["entry_id"] is None and second["fx_result"] == "0.00"
