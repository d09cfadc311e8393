"""The group controller consolidates May 2024 in EUR: a German parent (EUR) and a Danish subsidiary (DKK).

The subsidiary was capitalised with DKK 100,000 on 1 April (rate 0.13 EUR per DKK), sold DKK 20,000 in
April and DKK 31,000 in May; the krone rose to 0.14 on 16 May. On 20 May the parent charged the
subsidiary DKK 10,000 for services through the API (an intercompany sale: receivable at the parent,
payable at the subsidiary, both posted by one workflow; the charge sent twice posts once; an AP clerk
may not charge, and an unknown account is refused naming it). The parent also paid EUR 400 of expenses.

Hand-computed: May's average rate is (15 x 0.13 + 16 x 0.14) / 31 = 0.1351612903. The subsidiary's
balance sheet goes at 0.14 (bank 151,000 -> 21,140.00; payable 10,000 -> 1,400.00), its capital at
0.13 (13,000.00), April's revenue at April's average 0.13 (2,600.00), May's revenue and costs at May's
average (31,000 -> 4,190.00; 10,000 -> 1,351.61). The CTA is what those rates leave: capital 100,000 x
(0.14 - 0.13) = 1,000.00, April's result 20,000 x 0.01 = 200.00, May's result 21,000 x 0.14 = 2,940.00
less 2,838.39 at the average = 101.61: 1,301.61 before eliminations. The 1,400.00 intercompany balances
are eliminated, and so is the charge from the group P&L: the parent's revenue 1,400.00 (booked at the
day's 0.14) and the subsidiary's cost 1,351.61 (at May's average); the 48.39 they no longer cancel is a
translation difference, so the CTA is 1,350.00. Group balance sheet: assets 49,600 + 21,140 = 70,740.00
= capital 63,000.00 + CTA 1,350.00 + earnings 6,390.00 (revenue 2,600 + 4,190 less costs 400). No plug."""

from datetime import date
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from services.close import reports
from services.core import ledger
from tests.factories import Factory
from tests.histories import save, should_record
from tests.journals.desk import bearer
from workflows.journals.intercompany import IntercompanyChargeWorkflow

D = Decimal
HISTORY = Path(__file__).parent / "histories" / "intercompany_charge_posted.json"


def _rates(s: Session) -> None:
    for day, rate in ((date(2024, 4, 1), "0.13"), (date(2024, 5, 16), "0.14")):
        s.connection().execute(
            text(
                "INSERT INTO fx_rate (from_currency, to_currency, rate_date, rate) VALUES ('DKK', 'EUR', :d, :r)"
                " ON CONFLICT DO NOTHING"
            ),
            {"d": day, "r": D(rate)},
        )


def _post(s: Session, entity_id: int, key: str, on: date, currency: str, *lines: tuple[str, str]) -> None:
    ledger.post(
        s,
        ledger.PostingRequest(
            entity_id=entity_id,
            idempotency_key=f"group-test:{entity_id}:{key}",
            posting_date=on,
            source_type="test",
            source_id=key,
            currency=currency,
            lines=[ledger.LineIn(account, D(amount)) for account, amount in lines],
        ),
    )


async def test_the_group_balance_sheet_balances_with_eliminations_and_a_cta(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    parent, sub = factory.entity("EUR"), factory.entity("DKK")
    assert parent.id is not None and sub.id is not None
    _, token = factory.user("controller", entities=(parent, sub))
    with Session(engine) as s:
        _rates(s)
        _post(s, sub.id, "capital", date(2024, 4, 1), "DKK", ("bank", "100000"), ("equity", "-100000"))
        _post(s, sub.id, "april", date(2024, 4, 10), "DKK", ("bank", "20000"), ("revenue", "-20000"))
        _post(s, sub.id, "may", date(2024, 5, 10), "DKK", ("bank", "31000"), ("revenue", "-31000"))
        _post(s, parent.id, "capital", date(2024, 4, 1), "EUR", ("bank", "50000"), ("equity", "-50000"))
        _post(s, parent.id, "rent", date(2024, 5, 25), "EUR", ("accrued_expense", "400"), ("bank", "-400"))
        s.commit()
    charge = {
        "reference": "IC-2024-05-1",
        "seller_entity_id": parent.id,
        "buyer_entity_id": sub.id,
        "posting_date": "2024-05-20",
        "currency": "DKK",
        "amount": "10000.00",
        "seller_account": "4000",
        "buyer_account": "5200",
    }
    clerk = factory.user("ap_clerk", entities=(parent, sub))[1]
    assert api.post("/intercompany/charges", json=charge, headers=bearer(clerk)).status_code == 403
    unknown = api.post(
        "/intercompany/charges", json={**charge, "buyer_account": "5999"}, headers=bearer(token)
    )
    assert (unknown.status_code, unknown.json()["detail"][0]["loc"]) == (422, ["body", "buyer_account"])
    for _ in range(2):
        sent = api.post("/intercompany/charges", json=charge, headers=bearer(token))
        assert sent.status_code == 201, sent.text
    handle = temporal_dev.client.get_workflow_handle_for(
        IntercompanyChargeWorkflow.run, sent.json()["workflow_id"]
    )
    posted = await handle.result()
    if should_record(HISTORY):
        save(await handle.fetch_history(), HISTORY)
    sides = api.get(
        "/journal-entries",
        params={"source_type": "intercompany", "source_id": "IC-2024-05-1"},
        headers=bearer(token),
    ).json()
    assert sorted(e["id"] for e in sides) == sorted([posted.seller_entry_id, posted.buyer_entry_id])
    assert {
        e["entity_id"]: sorted((ln["role"], D(str(ln["amount_func"]))) for ln in e["lines"]) for e in sides
    } == {
        parent.id: [("ic_receivable", D(1400)), ("revenue", D(-1400))],
        sub.id: [("freight_expense", D(10000)), ("ic_payable", D(-10000))],
    }

    answer = api.get(
        "/reports/consolidated", params={"period": "2024-05", "currency": "EUR"}, headers=bearer(token)
    )
    assert answer.status_code == 200, answer.text
    group = answer.json()
    assert group["rates"] == {parent.code: "1", sub.code: "0.1400000000"}
    assert group["average_rates"] == {parent.code: "1", sub.code: "0.1351612903"}
    assert group["eliminations"] == {
        "intercompany": "1400.00",
        "unmatched_receivable": "0.00",
        "unmatched_payable": "0.00",
        "intercompany_revenue": "1400.00",
        "intercompany_cost": "1351.61",
    }
    assert group["cta"] == "1350.00"
    assert group["translated_at_closing_rate"] == {}
    bs = group["balance_sheet"]
    rows = {r["name"]: r["amount"] for r in bs["rows"]}
    assert rows == {
        "bank": "70740.00",
        "equity": "63000.00",
        "cta": "1350.00",
        "Earnings not yet closed to retained earnings": "6390.00",
    }
    assert (bs["total_assets"], bs["total_liabilities"], bs["total_equity"]) == (
        "70740.00",
        "0.00",
        "70740.00",
    )
    assert bs["balanced"] is True
    pnl = group["profit_and_loss"]
    assert (pnl["net_revenue"], pnl["cost_of_sales"], pnl["operating_expenses"], pnl["net_income"]) == (
        "4190.00",  # the subsidiary's May sales; the charge to it is not the group's revenue
        "0.00",  # nor its cost
        "400.00",
        "3790.00",
    )


def test_books_older_than_the_rate_table_go_at_the_closing_rate_and_say_so(
    engine: Engine, factory: Factory
) -> None:
    # A subsidiary whose books start in February 2024, before the first DKK rate (1 April).
    sub = factory.entity("DKK")
    assert sub.id is not None
    with Session(engine) as s:
        _rates(s)
        _post(s, sub.id, "capital", date(2024, 2, 1), "DKK", ("bank", "1000"), ("equity", "-1000"))
        _post(s, sub.id, "feb", date(2024, 2, 10), "DKK", ("bank", "500"), ("revenue", "-500"))
        s.commit()
        group = reports.consolidated(s, [sub.id], "2024-05", "EUR")
    assert group["translated_at_closing_rate"] == {sub.code: ["2024-02", "2024-02-01"]}
    bs = group["balance_sheet"]
    # Everything at 0.14: bank 210.00 = capital 140.00 + earnings 70.00, no CTA.
    assert {r["name"]: r["amount"] for r in bs["rows"]} == {
        "bank": "210.00",
        "equity": "140.00",
        "Earnings not yet closed to retained earnings": "70.00",
    }
    assert (group["cta"], bs["balanced"]) == ("0.00", True)
