"""An AP clerk pays two supplier invoices in two parts. Shirts from a EUR supplier (101.00 EUR) and cables
from a USD supplier (123.50 USD, booked at 0.90 = 111.15 EUR) are due today; cash is short, so tomorrow's
run pays 40 % of each (40.40 EUR, 49.40 USD at 0.95 = 46.93 EUR against a 44.46 share of the booked payable:
a realised loss of 2.47), and the run of the day after pays the remaining 60 % (60.60 EUR, 74.10 USD at
1.00 = 74.10 EUR against the remaining 66.69: a loss of 7.41). Between the runs each invoice stays open for
the rest, aged by its own due date, and its PO keeps waiting; after the second run both are paid off and the
POs close. A part larger than what is open, or of an invoice the run would not pay, is refused naming the
field and changes nothing; the second run's command and its approval retried change nothing either."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.factories import Factory
from tests.histories import save, should_record
from tests.payments.bank import HOUSE_BANK, balances, open_task, received_and_invoiced, supplier_bank
from tests.purchasing.buyer_desk import Desk, bearer, decide, eventually, open_desk, wait_stage

D = Decimal
HISTORIES = Path(__file__).parent / "histories"


def _rates(engine: Engine, rates: dict[date, str]) -> None:
    with engine.begin() as c:
        for day, rate in rates.items():
            c.execute(
                text(
                    "INSERT INTO fx_rate (from_currency, to_currency, rate_date, rate) VALUES ('USD', 'EUR', :d, :r)"
                    " ON CONFLICT DO NOTHING"
                ),
                {"d": day, "r": rate},
            )
            stored = c.execute(
                text(
                    "SELECT rate FROM fx_rate WHERE from_currency = 'USD' AND to_currency = 'EUR' AND rate_date = :d"
                ),
                {"d": day},
            ).scalar_one()
            assert D(stored) == D(rate), f"another test stored USD/EUR {stored} for {day}"


def _invoice_id(engine: Engine, po_number: str) -> int:
    with engine.connect() as c:
        return int(
            c.execute(
                text("SELECT id FROM supplier_invoice WHERE invoice_number = :n"), {"n": f"INV-{po_number}"}
            ).scalar_one()
        )


def _invoice_open(
    api: TestClient, headers: dict[str, str], entity: int, po_number: str, day: date
) -> Decimal:
    """What is still open on the PO's invoice on a day (as the open-items report shows it)."""
    found = api.get(f"/open-items?side=ap&entity_id={entity}&as_of={day.isoformat()}", headers=headers)
    assert found.status_code == 200, found.text
    return sum(
        (D(str(i["open"])) for i in found.json()["items"] if i["document_ref"] == f"INV-{po_number}"), D(0)
    )


def _reconciled(api: TestClient, headers: dict[str, str], entity: int, day: date) -> None:
    recon = api.get(
        f"/open-items/reconciliation?entity_id={entity}&as_of={day.isoformat()}", headers=headers
    ).json()
    ap = next(s for s in recon["sides"] if s["side"] == "ap")
    assert D(str(ap["difference"])) == 0 and not ap["unrecorded"], ap


def _paid_run(api: TestClient, engine: Engine, desk: Desk, body: dict[str, Any], key: str) -> dict[str, Any]:
    """The clerk proposes the run, a controller approves it; the run as paid."""
    clerk = {**bearer(desk.token("clerk")), "Idempotency-Key": key}
    started = api.post("/payment-runs", json=body, headers=clerk)
    assert started.status_code == 201, started.text
    assert started.json()["proposed"] == 2
    task = eventually(
        lambda: open_task(engine, started.json()["workflow_id"], "payment_run_approval"), "approval"
    )
    approved = decide(api, desk.token("controller"), task, "approve")
    assert approved.status_code == 200, approved.text
    run_id = started.json()["run_id"]

    def paid() -> dict[str, Any] | None:
        run: dict[str, Any] = api.get(
            f"/payment-runs/{run_id}", headers=bearer(desk.token("controller"))
        ).json()
        return run if run["status"] == "paid" else None

    return {
        **eventually(paid, "the run paid"),
        "workflow_id": started.json()["workflow_id"],
        "task": task,
    }


async def test_an_invoice_paid_forty_then_sixty_percent_ends_paid_once(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    today = date.today()
    first_day, second_day = today + timedelta(days=1), today + timedelta(days=2)
    _rates(engine, {today: "0.9000", first_day: "0.9500", second_day: "1.0000"})
    desk = open_desk(factory, price="10.10")
    assert desk.entity.id and desk.item.id
    entity = desk.entity.id
    controller = bearer(desk.token("controller"))
    clerk = bearer(desk.token("clerk"))
    usd = factory.supplier(currency="USD", payment_terms="IMMEDIATE", lead_time_days=7)
    factory.supplier_price(usd, desk.item, D("12.35"))
    supplier_bank(engine, desk.supplier, "FR1420041010050500013M02606", None)
    supplier_bank(engine, usd, "GB29NWBK60161331926819", "NWBKGB2L")
    setting = api.put(
        f"/payment-settings/{entity}", json={**HOUSE_BANK, "uses_payment_runs": True}, headers=controller
    )
    assert setting.status_code == 200, setting.text
    eur_po = received_and_invoiced(api, engine, desk, desk.supplier, "EUR", "10.10")
    usd_po = received_and_invoiced(api, engine, desk, usd, "USD", "12.35")
    for number in (eur_po, usd_po):
        wait_stage(engine, number, "awaiting_payment")
    eur_inv, usd_inv = _invoice_id(engine, eur_po), _invoice_id(engine, usd_po)

    # Refused before anything starts: more than is open, a third decimal, an invoice twice, one not due.
    first = {"entity_id": entity, "run_date": first_day.isoformat()}
    for amounts, field in (
        ([{"invoice_id": eur_inv, "amount": "101.01"}], "amounts[0].amount"),
        ([{"invoice_id": eur_inv, "amount": "0"}], "amount"),
        ([{"invoice_id": eur_inv, "amount": "40.405"}], "amounts[0].amount"),
        (
            [{"invoice_id": eur_inv, "amount": "1"}, {"invoice_id": eur_inv, "amount": "1"}],
            "amounts[1].invoice_id",
        ),
        ([{"invoice_id": 999_999_999, "amount": "1"}], "amounts[0].invoice_id"),
    ):
        refused = api.post("/payment-runs", json={**first, "amounts": amounts}, headers=clerk)
        assert refused.status_code == 422 and field in refused.text, (amounts, refused.text)
    with engine.connect() as c:
        assert (
            c.execute(text("SELECT count(*) FROM payment_run WHERE entity_id = :e"), {"e": entity}).scalar()
            == 0
        )

    run1 = _paid_run(
        api,
        engine,
        desk,
        {
            **first,
            "amounts": [
                {"invoice_id": eur_inv, "amount": "40.40"},
                {"invoice_id": usd_inv, "amount": "49.40"},
            ],
        },
        f"run1-{desk.entity.code}",
    )
    assert sorted((i["currency"], D(i["amount"]), D(i["realised_fx"])) for i in run1["items"]) == [
        ("EUR", D("40.40"), D(0)),
        ("USD", D("49.40"), D("-2.47")),  # 46.93 paid for a 44.46 share of 111.15
    ]
    assert _invoice_open(api, controller, entity, eur_po, first_day) == D("60.60")
    assert _invoice_open(api, controller, entity, usd_po, first_day) == D("74.10")
    aged = api.get(
        f"/open-items/aging?side=ap&entity_id={entity}&as_of={(today + timedelta(days=40)).isoformat()}",
        headers=controller,
    ).json()["rows"]
    eur_row = next(r for r in aged if r["counterparty"] == desk.supplier.code and r["currency"] == "EUR")
    assert (D(str(eur_row["d31_60"])), D(str(eur_row["total"]))) == (
        D("60.60"),
        D("60.60"),
    )  # by its due date
    _reconciled(api, controller, entity, first_day)
    half = balances(engine, entity)
    assert half["ap"] == D("-127.29")  # 60.60 + 66.69 (the unpaid share of 111.15) still owed
    assert half["bank_in_transit"] == D("-87.33") and half["fx_gain_loss"] == D("2.47")
    for number in (eur_po, usd_po):
        assert (
            wait_stage(engine, number, "awaiting_payment") == "awaiting_payment"
        )  # the PO waits for the rest

    # More than is left open is refused now that 40 % is paid.
    second = {"entity_id": entity, "run_date": second_day.isoformat()}
    over = api.post(
        "/payment-runs",
        json={**second, "amounts": [{"invoice_id": eur_inv, "amount": "60.61"}]},
        headers=clerk,
    )
    assert over.status_code == 422 and "amounts[0].amount" in over.text and "60.60" in over.text, over.text
    assert balances(engine, entity) == half

    run2 = _paid_run(api, engine, desk, second, f"run2-{desk.entity.code}")
    assert sorted((i["currency"], D(i["amount"]), D(i["realised_fx"])) for i in run2["items"]) == [
        ("EUR", D("60.60"), D(0)),
        ("USD", D("74.10"), D("-7.41")),  # 74.10 paid for the remaining 66.69
    ]
    for number in (eur_po, usd_po):
        wait_stage(engine, number, "closed")
    done = balances(engine, entity)
    assert "ap" not in done
    assert done["bank_in_transit"] == D("-222.03") and done["fx_gain_loss"] == D("9.88")
    assert (
        _invoice_open(api, controller, entity, eur_po, second_day) == 0
        and _invoice_open(api, controller, entity, usd_po, second_day) == 0
    )
    _reconciled(api, controller, entity, second_day)

    # The same command and approval again: the first answers replay, nothing is paid twice.
    retried = api.post(
        "/payment-runs", json=second, headers={**clerk, "Idempotency-Key": f"run2-{desk.entity.code}"}
    )
    assert retried.status_code == 201 and retried.json()["run_id"] == run2["id"], retried.text
    assert decide(api, desk.token("controller"), run2["task"], "approve").status_code == 409
    third = api.post(
        "/payment-runs",
        json={"entity_id": entity, "run_date": (today + timedelta(days=3)).isoformat()},
        headers=clerk,
    )
    assert third.status_code == 201 and third.json()["stage"] == "empty"  # nothing left to pay
    assert balances(engine, entity) == done
    with engine.connect() as c:
        statuses = (
            c.execute(
                text("SELECT status FROM supplier_invoice WHERE id = ANY(:i)"), {"i": [eur_inv, usd_inv]}
            )
            .scalars()
            .all()
        )
    assert statuses == ["paid", "paid"]

    path = HISTORIES / "payment_run_part_paid.json"
    if should_record(path):
        handle = temporal_dev.client.get_workflow_handle(run1["workflow_id"])
        await handle.result()
        save(await handle.fetch_history(), path)
