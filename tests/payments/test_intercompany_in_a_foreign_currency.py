"""An intercompany balance in a foreign currency is revalued at month end and eliminates in full.

The group month in three currencies, where a USD supplier is paid at another rate than its invoice's and the
group consolidates with eliminations and a CTA, is tests/payments/test_group_money_month.py; this scenario
adds what that month does not: intercompany owed in a currency other than both sides' reporting one."""

from datetime import date, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from rules.periods import period_bounds
from tests.factories import Factory
from tests.payments.group import close, closings, consolidated
from tests.purchasing.buyer_desk import bearer, eventually

D = Decimal


async def test_an_intercompany_balance_in_a_foreign_currency_is_revalued_and_eliminates_in_full(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, factory: Factory
) -> None:
    """Nordwind SE (SEK) charges Nordwind DE (EUR) SEK 10,000.00 on the eve of the month, at SEK->EUR 0.0900:
    DE owes EUR 900.00. From the 1st the krona is at 0.0880, so at month end DE's close revalues the payable
    to 10,000.00 x 0.0880 = 880.00 (an unrealised gain of 20.00). The group in EUR translates SE's receivable
    at the closing 0.0880 = 880.00: it eliminates against DE's 880.00 in full. The charge (last month's
    revenue and cost, 900.00 at that month's average 0.0900) is eliminated too; what is left is DE's gain of
    20.00 against a CTA of -20.00 (SE's receivable 880.00 less the 900.00 its result was translated at):
    nothing on the balance sheet, and no intercompany rest."""
    today = date.today()
    period = today.strftime("%Y-%m")
    first, _ = period_bounds(period)
    eve = first - timedelta(days=1)
    se, de = factory.entity("SEK"), factory.entity("EUR")
    assert se.id is not None and de.id is not None
    group = factory.user("controller", entities=(se, de))[1]
    for on, value in ((eve, "0.0900"), (first, "0.0880")):
        body = {"from_currency": "SEK", "to_currency": "EUR", "rate_date": on.isoformat(), "rate": value}
        answer = api.post("/fx-rates", json=body, headers=bearer(group))
        assert answer.status_code == 201, answer.text
    charge = {
        "reference": f"IC-{period}-{se.code}",
        "seller_entity_id": se.id,
        "buyer_entity_id": de.id,
        "posting_date": eve.isoformat(),
        "currency": "SEK",
        "amount": "10000.00",
        "seller_account": "4000",
        "buyer_account": "6200",
    }
    assert api.post("/intercompany/charges", json=charge, headers=bearer(group)).status_code == 201
    eventually(
        lambda: (
            len(
                api.get(
                    "/journal-entries",
                    params={"source_type": "intercompany", "source_id": charge["reference"]},
                    headers=bearer(group),
                ).json()
            )
            == 2
            or None
        ),
        "both sides of the charge",
    )

    await close(temporal_dev, api, group, de.id, period)
    assert closings(api, group, de.id, period) == {
        "accrued_expense": D("900.00"),  # last month's charge at 0.0900
        "ic_payable": D("-880.00"),  # SEK 10,000.00 at the closing 0.0880
        "fx_gain_loss": D("-20.00"),
    }
    report = consolidated(api, group, period)
    assert report["eliminations"] == {
        "intercompany": "880.00",
        "unmatched_receivable": "0.00",
        "unmatched_payable": "0.00",
        "intercompany_revenue": "900.00",
        "intercompany_cost": "900.00",
    }, report
    assert report["cta"] == "-20.00"
    bs = report["balance_sheet"]
    assert {r["name"]: r["amount"] for r in bs["rows"]} == {
        "cta": "-20.00",
        "Earnings not yet closed to retained earnings": "20.00",
    }, bs
    assert (bs["total_assets"], bs["total_liabilities"], bs["total_equity"], bs["balanced"]) == (
        "0.00",
        "0.00",
        "0.00",
        True,
    )
