"""A month in which all the money of a group moves, from the first order to the consolidation, every figure
hand-computed.

Nordwind UK (GBP) and Nordwind DE (EUR) report as a group in EUR. The group controller keys the rates through
the API: USD->GBP 0.80 on the eve of the month (the opening rate, also the day UK orders from its US supplier),
0.78 from the 1st and 0.76 on the last day (keyed at month end); GBP->EUR 1.20 on the eve (the day both entities
are capitalised) and 1.25 from the 1st, so the month's average and closing rates are both 1.25. On the eve UK is
capitalised with GBP 10,000.00 and DE with EUR 20,000.00 (manual journals, maker and checker). Both entities pay
their suppliers by payment run.

UK, as in the three-currency month: PO 1 of 100 shirts at USD 12.50, ordered on the eve at 0.80 (GBP 1,000.00),
is paid by the run at 0.78 (GBP 975.00): a realised gain of 1,000.00 - 975.00 = 25.00, and UK's statement clears
the 975.00 in transit to the bank. PO 2 of 40 shirts (USD 500.00 = GBP 400.00) is still owed at month end; an EU
marketplace sells 2 shirts at EUR 30.00 + 20 % tax (EUR 72.00 at 0.80 = GBP 57.60: revenue 48.00, tax 9.60, cost
20.00), unpaid. On the 1st UK charges DE GBP 2,000.00 for management services (DE books EUR 2,500.00 at 1.25),
and DE transfers the GBP 2,000.00 the same day with the charge's reference: DE's statement shows it going out
(EUR 2,500.00 at 1.25, no exchange difference), UK's shows it coming in, and both intercompany accounts end at
zero. The close revalues the USD 500.00 payable at 0.76 = 380.00 (unrealised gain 20.00). UK's trial balance:
bank 10,000.00 - 975.00 + 2,000.00 = 11,025.00, inventory 138 x 10.00 = 1,380.00, receivable 57.60, payable
-380.00, tax -9.60, capital -10,000.00, revenue -(48.00 + 2,000.00) = -2,048.00, cost 20.00, FX -(25.00 +
20.00) = -45.00: zero.

DE, where every cent arrives: a PO of 10 shirts at EUR 10.10 (101.00) from its EUR supplier is received, invoiced
and paid by the run (AP -> bank in transit). The web shop sells a lamp at 30.00 + 19 % tax = 35.70 (cost 12.00; 10
lamps put in stock at 12.00 against goods received not invoiced, 120.00). Four card orders are captured into
payment clearing: one card was declined at first and the customer paid with another; one lamp comes back (restocked
at 12.00, credit note 35.70), its card refund is refused (the card account is closed) and sales ops pay the 35.70
by bank transfer (receivable -> refunds payable). The provider pays the four captures out less 0.54 fees each
(payout: 4 x 35.16 = 140.64 in transit, fees 2.16); a transfer order (35.70) waits in payment clearing; a
marketplace order (35.70) is settled less 5.36 fees (30.34 in transit). DE's statement then shows the supplier
payment (-101.00), the customer's refund (-35.70) and the intercompany transfer (-2,500.00) going out, the payout
(140.64), the settlement (30.34) and the customer's transfer (35.70) coming in, and a 2.00 account fee: the bank
gets 140.64 + 30.34 + 35.70 - 101.00 - 35.70 - 2.00 = 67.98 less the 2,500.00, and bank in transit, payment
clearing, refunds payable, the intercompany payable, AP and AR are at zero. Six lamps
sold, one returned: revenue 6 x 30.00 = 180.00 less returns 30.00 = 150.00, tax 5 x 5.70 = 28.50, cost 5 x 12.00 =
60.00; inventory 101.00 + 5 x 12.00 = 161.00; bank charges 2.16 + 2.00 = 4.16, marketplace fees 5.36. DE's trial
balance: bank 20,000.00 + 67.98 - 2,500.00 = 17,567.98, inventory 161.00, goods received not invoiced -120.00,
tax -28.50, capital -20,000.00, revenue -180.00, returns 30.00, cost 60.00, management services 2,500.00, bank
charges 4.16, marketplace fees 5.36: zero. Everything at DE is in euros: no realised FX.

The group in EUR (UK at 1.25, its capital at the eve's 1.20): bank 11,025.00 x 1.25 + 17,567.98 = 13,781.25 +
17,567.98 = 31,349.23; inventory 1,380.00 x 1.25 + 161.00 = 1,725.00 + 161.00 = 1,886.00; receivable 72.00;
payable 475.00; goods received not invoiced 120.00; tax 12.00 + 28.50 = 40.50; capital 12,000.00 + 20,000.00 =
32,000.00; CTA 10,000.00 x (1.25 - 1.20) = 500.00. The intercompany balances were paid, so nothing is left to
eliminate on the balance sheet; the charge's 2,500.00 (2,000.00 x 1.25 against DE's 2,500.00) is eliminated from
revenue and cost. Group result: revenue 60.00 + 150.00 = 210.00,
cost of sales 25.00 + 60.00 = 85.00, fees 4.16 + 5.36 = 9.52, FX gain 45.00 x 1.25 = 56.25: 210.00 - 85.00 -
9.52 + 56.25 = 171.73. Assets 31,349.23 + 1,886.00 + 72.00 = 33,307.23 = liabilities 475.00 + 120.00 + 40.50 =
635.50 + capital 32,000.00 + CTA 500.00 + earnings 171.73. No plug."""

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
    balances,
    camt053,
    import_statement,
    paid_run,
    pays_by_run,
    received_and_invoiced,
    settled_marketplace_order,
    supplier_bank,
    transfer_order,
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
from tests.purchasing.buyer_desk import Desk, eventually, open_desk, wait_stage
from tests.returns.desk import failed_refund_task, return_stage, returned_and_received, ship_through_api
from tests.sales.shop import Shop, add_item, bearer, open_shop, order_body, receive

D = Decimal
CLEARING = ("bank_in_transit", "payment_clearing", "refunds_payable", "dispute_clearing")


def _declined_then_paid(api: TestClient, shop: Shop, sku: str) -> str:
    """A card order declined at authorisation; the customer pays with another card and it ships."""
    body = order_body(
        shop, shop.web, [{"sku": sku, "qty": "1"}], payment_method="card", payment_reference="sandbox:decline"
    )
    created = api.post("/orders", json=body, headers=bearer(shop.sales))
    assert created.status_code == 201 and created.json()["stage"] == "awaiting_payment", created.text
    number = str(created.json()["order_number"])
    paid = api.post(
        f"/orders/{number}/payment",
        json={"method": "card", "amount": "35.70", "reference": "tok_visa"},
        headers=bearer(shop.sales),
    )
    assert paid.status_code == 200 and paid.json()["paid"] is True, paid.text
    shipped = api.post(
        f"/orders/{number}/warehouse-events",
        json={"kind": "shipped", "location_id": shop.wh1.id, "carrier": "DHL", "tracking": "1234567891"},
        headers=bearer(shop.warehouse),
    )
    assert shipped.status_code == 200 and shipped.json()["stage"] == "closed", shipped.text
    return number


def _refund_by_transfer(api: TestClient, shop: Shop, number: str) -> str:
    """The lamp comes back, the card refund fails, sales ops decide a bank transfer; returns the credit note."""
    rma = returned_and_received(api, shop, number)
    task = eventually(lambda: failed_refund_task(api, shop, rma), "the failed refund's task")
    decided = api.post(
        f"/tasks/{task}/decision", json={"decision": "bank_transfer"}, headers=bearer(shop.sales)
    )
    assert decided.status_code == 200, decided.text
    eventually(lambda: return_stage(api, shop, rma) == "closed" or None, "closed")
    return f"CN-{rma}"


def _uk_buys_in_dollars(api: TestClient, engine: Engine, desk: Desk, eve: date) -> None:
    """PO 1 paid by the run at 0.78 (realised gain 25.00), cleared by UK's statement; PO 2 left owed."""
    supplier_bank(engine, desk.supplier, "GB29NWBK60161331926819", "NWBKGB2L")
    pays_by_run(api, desk)
    po1 = dollar_po(api, engine, desk, "100", eve)
    run = paid_run(api, engine, desk)
    # USD 1,250.00 booked at 0.80 = 1,000.00, paid at 0.78 = 975.00: a gain of 25.00.
    assert [(i["currency"], D(i["amount"]), D(i["fx_rate"]), D(i["realised_fx"])) for i in run["items"]] == [
        ("USD", D("1250.00"), D("0.78"), D("25.00"))
    ]
    wait_stage(engine, po1, "closed")
    statement = camt053(
        f"ST-{desk.entity.code}",
        HOUSE_BANK["iban"],
        [Entry("-1250.00", e2e=run["items"][0]["end_to_end_id"], code="XBCT", currency="USD")],
    )
    assert import_statement(api, desk.token("controller"), desk.entity.id, statement) == ["run_payment"]
    dollar_po(api, engine, desk, "40", eve)


def _de_collects_and_pays(api: TestClient, engine: Engine, factory: Factory, desk: Desk, charge: str) -> None:
    """DE's month: the EUR supplier paid by the run, the web shop's card orders (a decline, a failed refund paid
    by transfer), a transfer order, a settled marketplace order, the PSP payout, the intercompany `charge` paid,
    and the statement clearing it all."""
    entity, code, ctl = desk.entity.id, desk.entity.code, desk.token("controller")
    assert entity is not None
    shop = open_shop(factory, entity=desk.entity, payment_provider="sandbox")
    supplier_bank(engine, desk.supplier, "FR1420041010050500013M02606", None)
    pays_by_run(api, desk)
    po = received_and_invoiced(api, engine, desk, desk.supplier, "EUR", "10.10")
    wait_stage(engine, po, "awaiting_payment")
    run = paid_run(api, engine, desk)
    assert [(i["currency"], D(i["amount"]), D(i["realised_fx"])) for i in run["items"]] == [
        ("EUR", D("101.00"), D(0))
    ]
    wait_stage(engine, po, "closed")

    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "10", "12.00")
    cards = [ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "1"}]) for _ in range(2)]
    cards.append(_declined_then_paid(api, shop, lamp.sku))
    returned = ship_through_api(
        api, shop, [{"sku": lamp.sku, "qty": "1"}], payment_reference="sandbox:refund-fails"
    )
    cards.append(returned)
    credit_note = _refund_by_transfer(api, shop, returned)
    transfer = transfer_order(api, shop, lamp.sku)
    settled_marketplace_order(api, shop, lamp.sku, f"MKT-{code}")
    payout = api.post(
        "/psp-payouts",
        json={
            "channel": shop.web.code,
            "payout_id": f"po-{code}",
            "payout_date": date.today().isoformat(),
            "lines": [{"order_number": n, "gross": "35.70", "fees": "0.54"} for n in cards],
        },
        headers=bearer(ctl),
    )
    assert payout.status_code == 201 and D(payout.json()["in_transit"]) == D("140.64"), payout.text
    waiting = balances(engine, entity)
    assert waiting["bank_in_transit"] == D("69.98")  # 140.64 + 30.34 in, 101.00 out
    assert waiting["refunds_payable"] == D("-35.70")  # owed to the customer whose card refund failed
    assert waiting["payment_clearing"] == D("35.70")  # the transfer, until the bank shows it

    statement = camt053(
        f"ST-{code}",
        HOUSE_BANK["iban"],
        [
            Entry("-101.00", e2e=run["items"][0]["end_to_end_id"], code="ESCT", text="supplier payment"),
            Entry("-35.70", code="ESCT", text=f"Refund {credit_note}"),
            Entry("-2000.00", code="ESCT", text=f"Intercompany {charge}", currency="GBP"),
            Entry("140.64", text=f"Payout po-{code}"),
            Entry("30.34", e2e=f"MKT-{code}"),
            Entry("35.70", text=f"Payment for {transfer}"),
            Entry("-2.00", code="CHRG", text="account fee"),
        ],
    )
    assert import_statement(api, ctl, entity, statement) == [
        "run_payment",
        "refund_transfer",
        "intercompany",
        "psp_payout",
        "settlement",
        "customer_payment",
        "posted",
    ]


async def test_a_group_month_in_which_all_the_money_moves_adds_up_to_the_cent(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    period = date.today().strftime("%Y-%m")
    first, last = period_bounds(period)
    eve = first - timedelta(days=1)
    uk_desk = open_desk(factory, price="12.50", currency="GBP", supplier_currency="USD")
    de_desk = open_desk(factory, price="10.10")
    uk, de = uk_desk.entity, de_desk.entity
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

    _uk_buys_in_dollars(api, engine, uk_desk, eve)
    eu_sale(api, factory, uk_desk, "2")
    charge = intercompany_charge(api, group, uk, de, first, "GBP", "2000.00")
    _de_collects_and_pays(api, engine, factory, de_desk, charge)
    arrived = camt053(
        f"ST-{uk.code}-IC", HOUSE_BANK["iban"], [Entry("2000.00", text=f"From DE {charge}", currency="GBP")]
    )
    assert import_statement(api, uk_desk.token("controller"), uk.id, arrived) == ["intercompany"]

    # After the statements: every clearing account at zero, open items equal to the control accounts.
    for entity in (uk.id, de.id):
        after = balances(engine, entity)
        assert not set(CLEARING) & set(after), after
        recon = api.get(
            "/open-items/reconciliation", params={"entity_id": entity}, headers=bearer(group)
        ).json()
        for side in recon["sides"]:
            assert D(str(side["difference"])) == 0 and not side["unrecorded"], side

    # Month end: the closing rate, then the close of each entity.
    key_rate(api, engine, group, "USD->GBP", last, "0.76")
    for entity in (uk.id, de.id):
        close_run = await close(temporal_dev, api, group, entity, period)
        assert not subledger_differences(close_run), close_run["differences"]

    assert closings(api, group, uk.id, period) == {
        "bank": D(
            "11025.00"
        ),  # 10,000.00 in, USD 1,250.00 out at 0.78 = 975.00, the intercompany 2,000.00 in
        "inventory": D("1380.00"),  # 140 shirts at 10.00, 2 sold
        "ar": D("57.60"),  # EUR 72.00 at 0.80
        "ap": D("-380.00"),  # USD 500.00 at the closing 0.76
        "sales_tax_payable": D("-9.60"),  # EUR 12.00 at 0.80
        "equity": D("-10000.00"),
        "revenue": D("-2048.00"),  # EUR 60.00 at 0.80 + the charge 2,000.00
        "cogs": D("20.00"),
        "fx_gain_loss": D("-45.00"),  # realised 25.00 + unrealised 20.00
    }
    assert closings(api, group, de.id, period) == {
        "bank": D(
            "17567.98"
        ),  # 20,000.00 + 140.64 + 30.34 + 35.70 - 101.00 - 35.70 - 2.00 - GBP 2,000.00 x 1.25
        "inventory": D("161.00"),  # 10 shirts at 10.10, 5 lamps at 12.00
        "grni": D("-120.00"),  # the 10 lamps put in stock
        "sales_tax_payable": D("-28.50"),  # 5 x 5.70
        "equity": D("-20000.00"),
        "revenue": D("-180.00"),  # 6 lamps sold at 30.00
        "sales_returns": D("30.00"),  # 1 returned
        "cogs": D("60.00"),  # 5 x 12.00
        "accrued_expense": D("2500.00"),  # the management services
        "bank_charges": D("4.16"),  # 4 x 0.54 + 2.00
        "marketplace_fees": D("5.36"),
    }
    recon = api.get(
        "/open-items/reconciliation",
        params={"entity_id": uk.id, "as_of": last.isoformat()},
        headers=bearer(group),
    ).json()
    # UK's open items (with the revaluation restating them) equal its control accounts at month end.
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
        "intercompany": "0.00",  # paid: no intercompany balance left
        "unmatched_receivable": "0.00",
        "unmatched_payable": "0.00",
        "intercompany_revenue": "2500.00",
        "intercompany_cost": "2500.00",
    }
    assert report["cta"] == "500.00"  # 10,000.00 x (1.25 - 1.20)
    bs = report["balance_sheet"]
    assert {r["name"]: r["amount"] for r in bs["rows"]} == {
        "bank": "31349.23",  # 11,025.00 x 1.25 + 17,567.98
        "inventory": "1886.00",  # 1,380.00 x 1.25 + 161.00
        "ar": "72.00",
        "ap": "475.00",  # 380.00 x 1.25
        "grni": "120.00",
        "sales_tax_payable": "40.50",  # 9.60 x 1.25 + 28.50
        "equity": "32000.00",  # 10,000.00 x 1.20 + 20,000.00
        "cta": "500.00",
        "Earnings not yet closed to retained earnings": "171.73",
    }, bs
    assert (bs["total_assets"], bs["total_liabilities"], bs["total_equity"], bs["balanced"]) == (
        "33307.23",
        "635.50",
        "32671.73",
        True,
    )
    pnl = report["profit_and_loss"]
    assert (pnl["net_revenue"], pnl["cost_of_sales"], pnl["operating_expenses"], pnl["net_income"]) == (
        "210.00",
        "85.00",
        "-46.73",  # fees 9.52 less the FX gain 56.25
        "171.73",
    ), pnl
