"""An operator sees what a payment run, a bank statement or an intercompany charge is about in the Web UI's
summary before opening it: entity, date, amount and who started it."""

from datetime import date
from decimal import Decimal as D

from models.contracts.journals import IntercompanyInput
from models.contracts.payments import (
    PaymentRunInput,
    PayoutInput,
    PayoutLineIn,
    StatementInput,
    StatementLineIn,
)
from models.contracts.summaries import summary_of


def test_payment_run_statement_and_intercompany_charge_have_a_summary() -> None:
    run = PaymentRunInput(
        workflow_id="PaymentRun-EU01-2026-12-01",
        entity_id=1,
        run_date=date(2026, 12, 1),
        proposed_by="ada.ap",
    )
    assert (
        summary_of(run)
        == "Payment run PaymentRun-EU01-2026-12-01 · entity #1 · 2026-12-01 · proposed by ada.ap"
    )
    lines = [
        StatementLineIn(line_no=1, booking_date=date(2026, 12, 2), amount=D("-101.00"), currency="EUR"),
        StatementLineIn(line_no=2, booking_date=date(2026, 12, 2), amount=D("0.40"), currency="EUR"),
    ]
    statement = StatementInput(
        workflow_id="BankStatement-EU01-S1",
        entity_id=1,
        format="camt053",
        statement_ref="S1",
        imported_by="carla.controller",
        lines=lines,
    )
    assert summary_of(statement) == (
        "Bank statement S1 (camt053) · entity #1 · 2 line(s), net -100.60 EUR · imported by carla.controller"
    )
    charge = IntercompanyInput(
        reference="IC-7",
        workflow_id="Intercompany-IC-7",
        seller_entity_id=1,
        buyer_entity_id=2,
        posting_date=date(2026, 12, 3),
        currency="EUR",
        amount=D("1400.00"),
        seller_account="revenue",
        buyer_account="freight_expense",
        memo="",
        actor="carla.controller",
    )
    assert summary_of(charge) == "Intercompany charge IC-7 · entity #1 -> #2 · 1400.00 EUR · 2026-12-03"


def test_a_psp_payout_has_a_summary() -> None:
    payout = PayoutInput(
        workflow_id="PspPayout-WEB-P1",
        entity_id=1,
        channel_id=4,
        payout_ref="P1",
        payout_date=date(2026, 12, 3),
        currency="EUR",
        imported_by="carla.controller",
        lines=[
            PayoutLineIn(line_no=1, order_number="WEB-1", gross=D("35.70"), fees=D("0.50")),
            PayoutLineIn(line_no=2, order_number="WEB-2", gross=D("10.00"), fees=D("0.20")),
        ],
    )
    assert summary_of(payout) == (
        "PSP payout P1 · channel #4 · 2026-12-03 · 2 line(s), gross 45.70 EUR · imported by carla.controller"
    )
