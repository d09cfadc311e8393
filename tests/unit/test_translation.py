"""Translation rules: a Danish subsidiary's books in EUR. Capital at its historical rate, the balance
sheet at the closing rate, each month's result at that month's average; the CTA is what the rates leave.
The group's intercompany receivable and payable cancel; an unmatched rest stays visible. An intercompany
charge leaves the group P&L; what its two sides' rates leave is a translation difference."""

from decimal import Decimal

import pytest

from rules.errors import RuleViolation
from rules.statements import AccountBalance
from rules.translation import (
    BooksToTranslate,
    average_rate,
    eliminate_intercompany,
    eliminate_intercompany_pnl,
    translate,
)

D = Decimal


def _acc(code: str, kind: str, closing: str, period: str = "0", role: str | None = None) -> AccountBalance:
    return AccountBalance(code, code, kind, role, D(period), D(closing))


def test_the_average_rate_is_the_mean_of_the_daily_rates() -> None:
    assert average_rate([D("0.13")] * 15 + [D("0.14")] * 16) == D("0.1351612903")
    with pytest.raises(RuleViolation):
        average_rate([])


def test_the_cta_is_capital_and_results_revalued_from_their_rates_to_the_closing_rate() -> None:
    books = BooksToTranslate(
        balances=[
            _acc("1000", "asset", "151000", "41000"),
            _acc("3000", "equity", "-100000"),
            _acc("4000", "income", "-51000", "-31000"),
            _acc("5200", "expense", "10000", "10000"),
            _acc("2400", "liability", "-10000", "-10000", role="ic_payable"),
        ],
        pnl_by_period={"4000": {"2033-04": D(-20000), "2033-05": D(-31000)}, "5200": {"2033-05": D(10000)}},
        equity_historical={"3000": D("-13000.00")},
    )
    out = translate(books, "2033-05", D("0.14"), {"2033-04": D("0.13"), "2033-05": D("0.1351612903")}, "EUR")
    closing = {b.code: b.closing for b in out.balances}
    assert closing == {
        "1000": D("21140.00"),
        "3000": D("-13000.00"),
        "4000": D("-6790.00"),
        "5200": D("1351.61"),
        "2400": D("-1400.00"),
    }
    assert {b.code: b.period for b in out.balances}["4000"] == D("-4190.00")
    # 1,000.00 on capital + 200.00 on April + 101.61 on May: a credit.
    assert out.cta == D("-1301.61")


def test_a_period_without_an_average_rate_is_refused() -> None:
    books = BooksToTranslate([_acc("4000", "income", "-1", "-1")], {"4000": {"2033-05": D(-1)}}, {})
    with pytest.raises(RuleViolation, match="2033-05"):
        translate(books, "2033-05", D(1), {}, "EUR")


def test_intercompany_balances_cancel_and_a_rest_stays_visible() -> None:
    balances = [
        _acc("ic_receivable", "asset", "1400.00", role="ic_receivable"),
        _acc("ic_payable", "liability", "-1000.00", role="ic_payable"),
        _acc("bank", "asset", "5.00", role="bank"),
    ]
    out, elim = eliminate_intercompany(balances)
    assert [b.closing for b in out] == [D("400.00"), D("0.00"), D("5.00")]
    assert (elim.eliminated, elim.unmatched_receivable, elim.unmatched_payable) == (D(1000), D(400), D(0))


def test_an_intercompany_charge_leaves_the_group_p_and_l() -> None:
    group = [
        _acc("revenue", "income", "-8190.00", "-5590.00", role="revenue"),
        _acc("freight_expense", "expense", "1351.61", "1351.61", role="freight_expense"),
        _acc("bank", "asset", "70740.00", role="bank"),
    ]
    charge = [
        _acc("revenue", "income", "-1400.00", "-1400.00", role="revenue"),  # the parent's, at the day's rate
        _acc(
            "freight_expense", "expense", "1351.61", "1351.61", role="freight_expense"
        ),  # the sub's, average
    ]
    out, eliminated = eliminate_intercompany_pnl(group, charge)
    assert [(b.code, b.period, b.closing) for b in out] == [
        ("revenue", D("-4190.00"), D("-6790.00")),
        ("freight_expense", D("0.00"), D("0.00")),
        ("bank", D("0"), D("70740.00")),
    ]
    assert (eliminated.revenue, eliminated.cost, eliminated.rest) == (D("1400.00"), D("1351.61"), D("48.39"))
    assert eliminate_intercompany_pnl(group, [])[0] == group
