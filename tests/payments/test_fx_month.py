"""A month in a group of two entities and three currencies, every figure hand-computed.

Nordwind UK (GBP) and Nordwind DE (EUR) report as a group in EUR. The group controller keys the rates
through the API: USD->GBP 0.80 on the eve of the month (the opening rate, also the day the buyer orders),
0.78 from the 1st (the month's rate) and 0.76 on the last day (the closing rate, keyed at month end);
GBP->EUR 1.20 on the eve (the day both entities were capitalised) and 1.25 from the 1st, which makes the
month's average and closing rates both 1.25 whatever day the test runs on.

On the eve, UK is capitalised with GBP 10,000.00 and DE with EUR 20,000.00 (manual journals, maker and
checker). UK buys shirts from a US supplier at USD 12.50, both POs ordered on the eve at 0.80 (10.00 GBP a
shirt): PO 1 of 100 shirts (USD 1,250.00 = GBP 1,000.00) is received, invoiced and paid by the payment
run at 0.78 (GBP 975.00): a realised gain of 1,000.00 - 975.00 = 25.00; the bank's camt.053 statement
then clears the 975.00 in transit to the bank. PO 2 of 40 shirts (USD 500.00 =
GBP 400.00) is received and invoiced and still open at month end. An EU marketplace (EUR) sells 2 shirts
at EUR 30.00 plus 20 % tax to a customer: the receivable EUR 72.00 at 1/1.25 = 0.80 is GBP 57.60 (revenue
48.00, tax 9.60, cost 2 x 10.00 = 20.00). On the 1st, UK charges DE GBP 2,000.00 for management services
(DE books EUR 2,500.00 at 1.25).

The close of each entity revalues open foreign-currency items at the closing rate: UK's USD 500.00 payable
at 0.76 is GBP 380.00, an unrealised gain of 400.00 - 380.00 = 20.00; the EUR receivable at 0.80 stays
57.60. UK's trial balance: bank 10,000.00 - 975.00 = 9,025.00, inventory 1,380.00, receivable 57.60,
intercompany receivable 2,000.00, payable -380.00, tax -9.60, capital -10,000.00, revenue -2,048.00,
cost 20.00, FX -45.00 (25.00 + 20.00): zero. DE's: bank 20,000.00, cost 2,500.00, intercompany payable
-2,500.00, capital -20,000.00: zero.

The group in EUR (UK at 1.25; its capital at the eve's 1.20): bank 9,025.00 x 1.25 + 20,000.00 =
31,281.25, inventory 1,725.00, receivable 72.00; payable 475.00, tax 12.00;
capital 12,000.00 + 20,000.00 = 32,000.00; CTA 10,000.00 x (1.25 - 1.20) = 500.00. The intercompany
2,500.00 (2,000.00 x 1.25 against DE's 2,500.00) is eliminated from both sides and from revenue and cost.
Group result: revenue 48.00 x 1.25 = 60.00, cost 25.00, FX gain 45.00 x 1.25 = 56.25: 91.25. Assets
31,281.25 + 1,725.00 + 72.00 = 33,078.25 = liabilities 487.00 + capital 32,000.00 + CTA 500.00
+ earnings 91.25. No plug. A second scenario: an intercompany balance in a foreign currency, revalued at
month end, eliminates in full."""

from datetime import date, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from rules.periods import period_bounds
from tests.factories import Factory
from tests.payments.bank import (
    HOUSE_BANK,
    Entry,
    camt053,
    import_statement,
    paid_run,
    pays_by_run,
    supplier_bank,
)
from tests.payments.group import (
    capital,
    close,
    closings,
    consolidated,
    dollar_po,
    eu_sale,
    intercompany_charge,
    journal,
    key_rate,
    subledger_differences,
)
from tests.purchasing.buyer_desk import bearer, eventually, open_desk, wait_stage

D = Decimal


async def test_a_group_month_in_three_currencies_adds_up_to_the_cent(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    today = date.today()
    period = today.strftime("%Y-%m")
    first, last = period_bounds(period)
    eve = first - timedelta(days=1)
    desk = open_desk(factory, price="12.50", currency="GBP", supplier_currency="USD")
    uk = desk.entity
    de = factory.entity("EUR")
    assert uk.id is not None and de.id is not None
    group = factory.user("controller", entities=(uk, de))[1]
    checker = factory.user("controller", entities=(uk, de))[1]
    for pair, on, value in (
        ("USD->GBP", eve, "0.80"),
        ("USD->GBP", first, "0.78"),
        ("GBP->EUR", eve, "1.20"),
        ("GBP->EUR", first, "1.25"),
    ):
        key_rate(api, engine, group, pair, on, value)
    journal(api, group, checker, engine, capital(uk.id, eve, "10000.00"))
    journal(api, group, checker, engine, capital(de.id, eve, "20000.00"))

    # Buying: PO 1 paid by the run at the month's rate, PO 2 still owed at month end.
    supplier_bank(engine, desk.supplier, "GB29NWBK60161331926819", "NWBKGB2L")
    ctl = desk.token("controller")
    pays_by_run(api, desk)
    po1 = dollar_po(api, engine, desk, "100", eve)
    run = paid_run(api, engine, desk)
    # USD 1,250.00 booked at 0.80 = 1,000.00, paid at 0.78 = 975.00: a gain of 25.00.
    assert [(i["currency"], D(i["amount"]), D(i["fx_rate"]), D(i["realised_fx"])) for i in run["items"]] == [
        ("USD", D("1250.00"), D("0.78"), D("25.00"))
    ]
    wait_stage(engine, po1, "closed")
    # The bank's statement shows the USD 1,250.00 going out: in transit (975.00) is cleared to the bank.
    statement = camt053(
        f"ST-{uk.code}",
        HOUSE_BANK["iban"],
        [Entry("-1250.00", e2e=run["items"][0]["end_to_end_id"], code="XBCT", currency="USD")],
    )
    assert import_statement(api, ctl, uk.id, statement) == ["run_payment"]
    dollar_po(api, engine, desk, "40", eve)

    # Selling: two shirts to an EU customer in EUR, left unpaid at month end.
    eu_sale(api, factory, desk, "2")

    # The intercompany charge on the 1st: GBP 2,000.00, which DE books at 1.25.
    intercompany_charge(api, group, uk, de, first, "GBP", "2000.00")

    # Month end: the closing rate, then the close of each entity.
    key_rate(api, engine, group, "USD->GBP", last, "0.76")
    uk_close = await close(temporal_dev, api, group, uk.id, period)
    de_close = await close(temporal_dev, api, group, de.id, period)
    for run_view in (uk_close, de_close):
        assert not subledger_differences(run_view), run_view["differences"]

    assert closings(api, group, uk.id, period) == {
        "bank": D("9025.00"),  # 10,000.00 paid in, USD 1,250.00 out at 0.78 = 975.00; in transit cleared
        "inventory": D("1380.00"),  # 140 shirts at 10.00, 2 sold
        "ar": D("57.60"),  # EUR 72.00 at 0.80
        "ic_receivable": D("2000.00"),
        "ap": D("-380.00"),  # USD 500.00 at the closing 0.76
        "sales_tax_payable": D("-9.60"),  # EUR 12.00 at 0.80
        "equity": D("-10000.00"),
        "revenue": D("-2048.00"),  # EUR 60.00 at 0.80 + the charge 2,000.00
        "cogs": D("20.00"),
        "fx_gain_loss": D("-45.00"),  # realised 25.00 + unrealised 20.00
    }
    assert closings(api, group, de.id, period) == {
        "bank": D("20000.00"),
        "accrued_expense": D("2500.00"),  # GBP 2,000.00 at 1.25
        "ic_payable": D("-2500.00"),
        "equity": D("-20000.00"),
    }
    recon = api.get(
        "/open-items/reconciliation",
        params={"entity_id": uk.id, "as_of": last.isoformat()},
        headers=bearer(ctl),
    ).json()
    # Open items (with the revaluation restating them) equal the control accounts at month end.
    assert {s["side"]: (D(str(s["open_items"])), D(str(s["difference"]))) for s in recon["sides"]} == {
        "ap": (D("380.00"), D(0)),
        "ar": (D("57.60"), D(0)),
    }, recon

    report = consolidated(api, group, period)
    assert (report["rates"], report["average_rates"]) == (
        {uk.code: "1.2500000000", de.code: "1"},
        {uk.code: "1.2500000000", de.code: "1"},
    ), report
    assert report["eliminations"] == {
        "intercompany": "2500.00",
        "unmatched_receivable": "0.00",
        "unmatched_payable": "0.00",
        "intercompany_revenue": "2500.00",
        "intercompany_cost": "2500.00",
    }
    assert report["cta"] == "500.00"  # 10,000.00 x (1.25 - 1.20)
    bs = report["balance_sheet"]
    assert {r["name"]: r["amount"] for r in bs["rows"]} == {
        "bank": "31281.25",
        "inventory": "1725.00",
        "ar": "72.00",
        "ap": "475.00",
        "sales_tax_payable": "12.00",
        "equity": "32000.00",
        "cta": "500.00",
        "Earnings not yet closed to retained earnings": "91.25",
    }, bs
    assert (bs["total_assets"], bs["total_liabilities"], bs["total_equity"], bs["balanced"]) == (
        "33078.25",
        "487.00",
        "32591.25",
        True,
    )
    pnl = report["profit_and_loss"]
    assert (pnl["net_revenue"], pnl["cost_of_sales"], pnl["net_income"]) == ("60.00", "25.00", "91.25"), pnl


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
