"""A controller checks October's books: the trial balance, P&L and balance sheet built from the ledger
equal the figures worked out by hand from the month's documents (see worked_month.py)."""

from decimal import Decimal as D

from sqlalchemy import Engine
from sqlmodel import Session

from services.close import reports
from tests.close import worked_month
from tests.close.worked_month import EXPECTED_TB, EXPECTED_ZERO, PERIOD
from tests.factories import Factory


def test_trial_balance_pnl_and_balance_sheet_match_the_hand_computed_month(
    engine: Engine, factory: Factory
) -> None:
    month = worked_month.build(engine, factory)
    assert month.entity.id is not None
    with Session(engine) as s:
        tb = reports.trial_balance(s, month.entity.id, PERIOD)
        pnl = reports.profit_and_loss_report(s, month.entity.id, PERIOD)
        bs = reports.balance_sheet_report(s, month.entity.id, PERIOD)

    closing = {line["code"]: D(line["closing"]) for line in tb["lines"]}
    assert closing == {**EXPECTED_TB, **EXPECTED_ZERO}
    assert tb["balanced"] is True
    assert tb["total_debit"] == tb["total_credit"]

    assert (pnl["net_revenue"], pnl["cost_of_sales"], pnl["gross_margin"]) == ("1662.50", "797.34", "865.16")
    assert (pnl["operating_expenses"], pnl["net_income"]) == ("0.00", "865.16")
    returns = next(r for r in pnl["rows"] if r["code"] == "4200")
    assert returns == {"section": "revenue", "code": "4200", "name": "Sales returns", "amount": "-237.50"}

    assert (bs["total_assets"], bs["total_liabilities"], bs["total_equity"]) == (
        "11851.03",
        "985.87",
        "10865.16",
    )
    assert bs["earnings_to_date"] == "865.16" and bs["balanced"] is True


def test_the_month_before_has_no_movement_and_a_later_month_carries_the_balances(
    engine: Engine, factory: Factory
) -> None:
    month = worked_month.build(engine, factory)
    assert month.entity.id is not None
    with Session(engine) as s:
        before = reports.trial_balance(s, month.entity.id, "2031-09")
        after = reports.trial_balance(s, month.entity.id, "2031-11")
        pnl_after = reports.profit_and_loss_report(s, month.entity.id, "2031-11")
    assert before["lines"] == []
    assert {x["code"]: D(x["opening"]) for x in after["lines"]} == {**EXPECTED_TB, **EXPECTED_ZERO}
    assert all(x["debit"] == x["credit"] == "0.00" for x in after["lines"])
    assert pnl_after["net_income"] == "0.00"


def test_consolidation_in_a_reporting_currency_translates_the_p_and_l_at_the_average_rate(
    engine: Engine, factory: Factory
) -> None:
    month = worked_month.build(engine, factory)
    assert month.entity.id is not None
    with Session(engine) as s:
        # EUR -> CHF at the inverse of the CHF -> EUR rates: 0.90 from 1 October, 0.95 on 31 October.
        group = reports.consolidated(s, [month.entity.id], PERIOD, "CHF")
    assert group["rates"][month.entity.code] == str(D(1) / D("0.95"))
    # October's average: 30 days at 1/0.90 and one at 1/0.95, (30/0.90 + 1/0.95) / 31 = 1.1092246746.
    assert group["average_rates"][month.entity.code] == "1.1092246746"
    # 865.16 EUR of profit, line by line at the average: 2218.45 - 110.92 - 263.44 - 862.24 - 22.18 = 959.67.
    assert group["profit_and_loss"]["net_income"] == "959.67"
    assert group["balance_sheet"]["balanced"] is True
