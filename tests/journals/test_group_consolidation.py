"""The group controller consolidates May 2033 in EUR: a German parent (EUR) and a Danish subsidiary (DKK).

The subsidiary was capitalised with DKK 100,000 on 1 April (rate 0.13 EUR per DKK), sold DKK 20,000 in
April and DKK 31,000 in May; the krone rose to 0.14 on 16 May. On 20 May the parent charged the
subsidiary DKK 10,000 for services (an intercompany sale: receivable at the parent, payable at the
subsidiary). The parent also paid EUR 400 of expenses.

Hand-computed: May's average rate is (15 x 0.13 + 16 x 0.14) / 31 = 0.1351612903. The subsidiary's
balance sheet goes at 0.14 (bank 151,000 -> 21,140.00; payable 10,000 -> 1,400.00), its capital at
0.13 (13,000.00), April's revenue at April's average 0.13 (2,600.00), May's revenue and costs at May's
average (31,000 -> 4,190.00; 10,000 -> 1,351.61). The CTA is what those rates leave: capital 100,000 x
(0.14 - 0.13) = 1,000.00, April's result 20,000 x 0.01 = 200.00, May's result 21,000 x 0.14 = 2,940.00
less 2,838.39 at the average = 101.61: 1,301.61 in all. The 1,400.00 intercompany balances are
eliminated. Group balance sheet: assets 49,600 + 21,140 = 70,740.00 = capital 63,000.00 + CTA 1,301.61
+ earnings 6,438.39 (revenue 1,400 + 2,600 + 4,190 less costs 400 + 1,351.61). No plug."""

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from services import ledger
from services.intercompany import IntercompanyCharge, post_charge
from tests.factories import Factory
from tests.journals.desk import bearer

D = Decimal


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


def test_the_group_balance_sheet_balances_with_eliminations_and_a_cta(
    api: TestClient, engine: Engine, factory: Factory
) -> None:
    parent, sub = factory.entity("EUR"), factory.entity("DKK")
    assert parent.id is not None and sub.id is not None
    _, token = factory.user("controller", entities=(parent, sub))
    with Session(engine) as s:
        for day, rate in ((date(2033, 4, 1), "0.13"), (date(2033, 5, 16), "0.14")):
            s.connection().execute(
                text(
                    "INSERT INTO fx_rate (from_currency, to_currency, rate_date, rate) VALUES ('DKK', 'EUR', :d, :r)"
                    " ON CONFLICT DO NOTHING"
                ),
                {"d": day, "r": D(rate)},
            )
        _post(s, sub.id, "capital", date(2033, 4, 1), "DKK", ("bank", "100000"), ("equity", "-100000"))
        _post(s, sub.id, "april", date(2033, 4, 10), "DKK", ("bank", "20000"), ("revenue", "-20000"))
        _post(s, sub.id, "may", date(2033, 5, 10), "DKK", ("bank", "31000"), ("revenue", "-31000"))
        _post(s, parent.id, "capital", date(2033, 4, 1), "EUR", ("bank", "50000"), ("equity", "-50000"))
        _post(s, parent.id, "rent", date(2033, 5, 25), "EUR", ("accrued_expense", "400"), ("bank", "-400"))
        charge = IntercompanyCharge(
            reference="IC-2033-05-1",
            seller_entity_id=parent.id,
            buyer_entity_id=sub.id,
            posting_date=date(2033, 5, 20),
            currency="DKK",
            amount=D("10000"),
        )
        assert post_charge(s, charge) == post_charge(s, charge)  # once, however often it is sent
        s.commit()

    answer = api.get(
        "/reports/consolidated", params={"period": "2033-05", "currency": "EUR"}, headers=bearer(token)
    )
    assert answer.status_code == 200, answer.text
    group = answer.json()
    assert group["rates"] == {parent.code: "1", sub.code: "0.1400000000"}
    assert group["average_rates"] == {parent.code: "1", sub.code: "0.1351612903"}
    assert group["eliminations"] == {
        "intercompany": "1400.00",
        "unmatched_receivable": "0.00",
        "unmatched_payable": "0.00",
    }
    assert group["cta"] == "1301.61"
    bs = group["balance_sheet"]
    rows = {r["name"]: r["amount"] for r in bs["rows"]}
    assert rows == {
        "bank": "70740.00",
        "equity": "63000.00",
        "cta": "1301.61",
        "Earnings not yet closed to retained earnings": "6438.39",
    }
    assert (bs["total_assets"], bs["total_liabilities"], bs["total_equity"]) == (
        "70740.00",
        "0.00",
        "70740.00",
    )
    assert bs["balanced"] is True
    pnl = group["profit_and_loss"]
    assert (pnl["net_revenue"], pnl["cost_of_sales"], pnl["operating_expenses"], pnl["net_income"]) == (
        "5590.00",
        "1351.61",
        "400.00",
        "3838.39",
    )
