"""Postings: one batch of 100 kettles from purchase to sale, return and month end, in EUR.

Buy 100 @ 4.00 (PO 400.00) with 20.00 estimated freight; supplier invoices 4.10 (410.00) + 20 % tax;
the freight bill is 26.00 when 60 kettles are still in stock; 40 sell at 10.00 with 10 % off.
"""

from decimal import Decimal as D

import pytest

from rules.accounts import AccountRole as R
from rules.errors import RuleViolation
from rules.posting_rules import (
    DraftLine,
    PostingDraft,
    accrual,
    balanced,
    customer_return,
    fx_revaluation,
    goods_receipt,
    inventory_adjustment,
    invoice_matched,
    landed_cost_invoice,
    marketplace_settlement,
    reversal,
    sale_shipped,
    supplier_payment,
)


def amounts(draft: PostingDraft) -> list[tuple[R, D]]:
    """The (role, amount) pairs of a draft, in order."""
    return [(line.role, line.amount) for line in draft.lines]


def test_goods_receipt_books_po_price_plus_landed_estimate() -> None:
    # Dr inventory 400 + 20 = 420; Cr GRNI 400; Cr landed cost accrual 20.
    draft = goods_receipt(D("400"), D("20"), "EUR")
    assert amounts(draft) == [
        (R.INVENTORY, D("420.00")),
        (R.GRNI, D("-400.00")),
        (R.LANDED_COST_ACCRUAL, D("-20.00")),
    ]
    assert draft.total_debit == D("420.00")


def test_goods_receipt_without_landed_cost_drops_the_zero_line() -> None:
    assert amounts(goods_receipt(D("10.005"), D("0"), "EUR")) == [
        (R.INVENTORY, D("10.01")),
        (R.GRNI, D("-10.01")),
    ]


def test_invoice_matched_books_price_variance_and_tax() -> None:
    # Dr GRNI 400; Dr PPV 410 - 400 = 10; Dr input tax 82 (20 % of 410); Cr AP 410 + 82 = 492.
    draft = invoice_matched(D("400"), D("410"), D("82"), "EUR")
    assert amounts(draft) == [
        (R.GRNI, D("400.00")),
        (R.PRICE_VARIANCE, D("10.00")),
        (R.INPUT_TAX, D("82.00")),
        (R.AP, D("-492.00")),
    ]


def test_invoice_below_po_price_credits_variance() -> None:
    # Invoice 395 for 400 received: Cr PPV 5 (favourable).
    assert (R.PRICE_VARIANCE, D("-5.00")) in amounts(invoice_matched(D("400"), D("395"), D("0"), "EUR"))


def test_landed_cost_difference_split_between_stock_and_cogs() -> None:
    # Actual 26 vs accrued 20: 6.00 more; 60 % still on hand -> inventory 3.60, sold 40 % -> COGS 2.40.
    draft = landed_cost_invoice(D("20"), D("26"), D("0.6"), "EUR")
    assert amounts(draft) == [
        (R.LANDED_COST_ACCRUAL, D("20.00")),
        (R.INVENTORY, D("3.60")),
        (R.COGS, D("2.40")),
        (R.AP, D("-26.00")),
    ]


def test_landed_cost_lower_than_accrued_reduces_stock_and_cogs() -> None:
    # Actual 15 vs accrued 20: -5.00 split 50/50 -> inventory -2.50, COGS -2.50.
    draft = landed_cost_invoice(D("20"), D("15"), D("0.5"), "EUR")
    assert amounts(draft)[1:3] == [(R.INVENTORY, D("-2.50")), (R.COGS, D("-2.50"))]


def test_landed_cost_share_must_be_a_fraction() -> None:
    with pytest.raises(RuleViolation) as exc:
        landed_cost_invoice(D("20"), D("26"), D("60"), "EUR")
    assert exc.value.field == "share_on_hand"


def test_supplier_payment() -> None:
    assert amounts(supplier_payment(D("492"), "EUR")) == [(R.AP, D("492.00")), (R.BANK, D("-492.00"))]


def test_purchase_cycle_clears_grni_and_leaves_only_the_freight_payable() -> None:
    # GRNI: -400 + 400 = 0. AP: -492 - 26 + 492 = -26 (the freight bill still to pay).
    drafts = [
        goods_receipt(D("400"), D("20"), "EUR"),
        invoice_matched(D("400"), D("410"), D("82"), "EUR"),
        landed_cost_invoice(D("20"), D("26"), D("0.6"), "EUR"),
        supplier_payment(D("492"), "EUR"),
    ]
    totals: dict[R, D] = {}
    for draft in drafts:
        for line in draft.lines:
            totals[line.role] = totals.get(line.role, D(0)) + line.amount
    assert totals[R.GRNI] == D("0.00")
    assert totals[R.AP] == D("-26.00")
    assert totals[R.LANDED_COST_ACCRUAL] == D("0.00")
    assert totals[R.INVENTORY] == D("423.60")  # 420 + 3.60


def test_sale_shipped_shows_discount_apart_and_books_cogs() -> None:
    # 40 x 10 = 400 gross, 10 % off = 40, tax 20 % of 360 = 72; cost 40 x 4.20 = 168.
    # Dr AR 360 + 72 = 432; Dr discount 40; Cr revenue 400; Cr tax 72; Dr COGS 168; Cr inventory 168.
    draft = sale_shipped(D("400"), D("40"), D("72"), D("168"), "EUR")
    assert amounts(draft) == [
        (R.AR, D("432.00")),
        (R.SALES_DISCOUNT, D("40.00")),
        (R.REVENUE, D("-400.00")),
        (R.SALES_TAX_PAYABLE, D("-72.00")),
        (R.COGS, D("168.00")),
        (R.INVENTORY, D("-168.00")),
    ]


def test_prepaid_web_sale_uses_payment_clearing() -> None:
    draft = sale_shipped(D("100"), D("0"), D("0"), D("0"), "EUR", receivable_role=R.PAYMENT_CLEARING)
    assert amounts(draft) == [(R.PAYMENT_CLEARING, D("100.00")), (R.REVENUE, D("-100.00"))]


def test_sale_refuses_bad_inputs() -> None:
    with pytest.raises(RuleViolation) as exc:
        sale_shipped(D("100"), D("101"), D("0"), D("0"), "EUR")
    assert exc.value.field == "discount"
    with pytest.raises(RuleViolation) as exc:
        sale_shipped(D("100"), D("0"), D("0"), D("0"), "EUR", receivable_role=R.REVENUE)
    assert exc.value.field == "receivable_role"
    with pytest.raises(RuleViolation) as exc:
        sale_shipped(D("100"), D("0"), D("-1"), D("0"), "EUR")
    assert exc.value.field == "tax"


def test_marketplace_settlement_nets_fees() -> None:
    # Marketplace collected 432.00, keeps 10 % = 43.20, pays out 388.80.
    draft = marketplace_settlement(D("432"), D("43.20"), "EUR")
    assert amounts(draft) == [
        (R.BANK_IN_TRANSIT, D("388.80")),
        (R.MARKETPLACE_FEES, D("43.20")),
        (R.AR, D("-432.00")),
    ]


def test_marketplace_fees_above_gross_credit_the_bank() -> None:
    # A month of returns: 10.00 sales, 15.00 fees -> the marketplace debits the bank 5.00.
    draft = marketplace_settlement(D("10"), D("15"), "EUR")
    assert amounts(draft) == [
        (R.BANK_IN_TRANSIT, D("-5.00")),
        (R.MARKETPLACE_FEES, D("15.00")),
        (R.AR, D("-10.00")),
    ]


def test_customer_return_restock_one_scrap_one_as_store_credit() -> None:
    # Two kettles back at 9.00 net each = 18.00 + 3.60 tax = 21.60 store credit.
    # One restocked at cost 4.20, one scrapped (4.20): COGS reversed by 8.40.
    draft = customer_return(D("18"), D("3.60"), D("4.20"), D("4.20"), "EUR", refund_role=R.STORE_CREDIT)
    assert amounts(draft) == [
        (R.SALES_RETURNS, D("18.00")),
        (R.SALES_TAX_PAYABLE, D("3.60")),
        (R.STORE_CREDIT, D("-21.60")),
        (R.INVENTORY, D("4.20")),
        (R.WRITE_OFF, D("4.20")),
        (R.COGS, D("-8.40")),
    ]


def test_customer_return_refuses_inventory_as_refund_account() -> None:
    with pytest.raises(RuleViolation) as exc:
        customer_return(D("1"), D("0"), D("0"), D("0"), "EUR", refund_role=R.INVENTORY)
    assert exc.value.field == "refund_role"


def test_inventory_adjustment_loss_and_gain() -> None:
    # Count finds 3 kettles missing at 4.20 = 12.60 lost; later one turns up: 4.20 gained.
    assert amounts(inventory_adjustment(D("-12.60"), "EUR")) == [
        (R.INVENTORY, D("-12.60")),
        (R.SHRINKAGE, D("12.60")),
    ]
    assert amounts(inventory_adjustment(D("4.20"), "EUR")) == [
        (R.INVENTORY, D("4.20")),
        (R.SHRINKAGE, D("-4.20")),
    ]
    assert inventory_adjustment(D("0"), "EUR").lines == ()


def test_accrual_and_its_reversal_cancel_out() -> None:
    # Freight of 1,500 used in January, billed in February: accrue on 31 Jan, reverse on 1 Feb.
    draft = accrual(D("1500"), R.FREIGHT_EXPENSE, "EUR")
    assert amounts(draft) == [(R.FREIGHT_EXPENSE, D("1500.00")), (R.ACCRUED_LIABILITIES, D("-1500.00"))]
    back = reversal(draft)
    assert amounts(back) == [(R.FREIGHT_EXPENSE, D("-1500.00")), (R.ACCRUED_LIABILITIES, D("1500.00"))]
    assert back.lines[0].memo == "reversal: month-end accrual"


def test_accrual_refuses_a_balance_sheet_role_other_than_inventory() -> None:
    assert amounts(accrual(D("10"), R.INVENTORY, "EUR"))[0] == (R.INVENTORY, D("10.00"))
    with pytest.raises(RuleViolation) as exc:
        accrual(D("10"), R.AP, "EUR")
    assert exc.value.field == "expense_role"


def test_fx_revaluation_of_receivable_and_payable() -> None:
    # 1,000 USD receivable booked at 0.90 = 900 EUR, month-end rate 0.92 = 920: +20 gain.
    assert amounts(fx_revaluation(D("20"), R.AR, "EUR")) == [
        (R.AR, D("20.00")),
        (R.FX_GAIN_LOSS, D("-20.00")),
    ]
    # 500 USD payable booked at 450 EUR, now 460: the liability grows by 10 (debit side -10), a loss.
    assert amounts(fx_revaluation(D("-10"), R.AP, "EUR")) == [
        (R.AP, D("-10.00")),
        (R.FX_GAIN_LOSS, D("10.00")),
    ]


def test_fx_revaluation_refuses_income_accounts() -> None:
    with pytest.raises(RuleViolation) as exc:
        fx_revaluation(D("5"), R.REVENUE, "EUR")
    assert exc.value.field == "balance_role"


def test_balanced_refuses_a_lopsided_entry() -> None:
    with pytest.raises(RuleViolation) as exc:
        balanced([DraftLine(R.BANK, D("10.00"), "x"), DraftLine(R.AP, D("-9.99"), "x")])
    assert exc.value.field == "lines"


def test_negative_input_names_its_field() -> None:
    with pytest.raises(RuleViolation) as exc:
        goods_receipt(D("-1"), D("0"), "EUR")
    assert exc.value.field == "po_value"


def test_amounts_are_quantized_to_the_currency() -> None:
    # 1,234.5 JPY -> 1,235 yen on both sides.
    assert amounts(supplier_payment(D("1234.5"), "JPY")) == [(R.AP, D("1235")), (R.BANK, D("-1235"))]
