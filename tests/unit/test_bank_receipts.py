"""Money coming in: a bank line pays the PSP payout, marketplace settlement or order its reference or
remittance text names, when currency and amount agree within a cent; a PSP payout line pays out what the
order holds in clearing, with the provider's fee (and an accepted shortfall) to bank charges."""

from decimal import Decimal

from rules.accounts import AccountRole
from rules.bank_matching import ExpectedReceipt, customer_paid, match_receipt, payout_arrived, reference_words
from rules.posting_rules import PostingDraft
from rules.psp_payouts import check, payout_line

D = Decimal
R = AccountRole
EXPECTED = [
    ExpectedReceipt("psp_payout", "po-1", D("64.71"), "EUR", 1),
    ExpectedReceipt("settlement", "MKT-PAY-1", D("30.34"), "EUR", 2),
    ExpectedReceipt("customer_payment", "SO-42", D("35.70"), "EUR"),
]


def _amounts(draft: PostingDraft) -> list[tuple[AccountRole, Decimal]]:
    return [(d.role, d.amount) for d in draft.lines]


def test_a_line_names_what_it_pays_in_its_reference_or_text() -> None:
    assert reference_words(["PSP payout po-1.", None, "Order (SO-42)"]) == [
        "Order",
        "PSP",
        "SO-42",
        "payout",
        "po-1",
    ]
    assert match_receipt(D("64.71"), "EUR", [None, "PSP payout po-1"], EXPECTED).receipt == EXPECTED[0]
    assert match_receipt(D("30.33"), "EUR", ["MKT-PAY-1", ""], EXPECTED).receipt == EXPECTED[1]  # a cent off
    assert match_receipt(D("35.70"), "EUR", [None, "Invoice SO-42 thanks"], EXPECTED).receipt == EXPECTED[2]


def test_what_does_not_agree_stays_unmatched_with_the_reason() -> None:
    assert match_receipt(D("74.56"), "EUR", ["po-1"], EXPECTED).reason == (
        "psp_payout po-1 expects 64.71 EUR, the line has 74.56 EUR"
    )
    assert match_receipt(D("35.70"), "USD", ["SO-42"], EXPECTED).receipt is None
    assert match_receipt(D("12.00"), "EUR", ["refund"], EXPECTED).reason == (
        "no payout, settlement or open order named by the line's reference"
    )
    assert match_receipt(D("35.70"), "EUR", ["SO-4"], EXPECTED).receipt is None  # a word, not a substring


def test_a_payout_that_nets_negative_is_matched_by_the_debit_that_collects_it() -> None:
    collected = ExpectedReceipt("psp_payout", "po-9", D("-50.7000"), "EUR", 9)
    assert match_receipt(D("-50.70"), "EUR", ["Payout po-9"], [collected]).receipt == collected
    assert match_receipt(D("50.70"), "EUR", ["Payout po-9"], [collected]).reason == (
        "psp_payout po-9 expects -50.70 EUR, the line has 50.70 EUR"
    )
    # The debit leaves the bank and clears what the payout took out of bank in transit.
    assert _amounts(payout_arrived(D("-50.70"), D("-50.70"))) == [
        (R.BANK, D("-50.70")),
        (R.BANK_IN_TRANSIT, D("50.70")),
    ]


def test_arrivals_post_to_the_bank() -> None:
    assert _amounts(payout_arrived(D("64.71"), D("64.70"))) == [
        (R.BANK, D("64.70")),
        (R.BANK_IN_TRANSIT, D("-64.71")),
        (R.BANK_CHARGES, D("0.01")),
    ]
    assert _amounts(customer_paid(D("35.70"), R.PAYMENT_CLEARING)) == [
        (R.BANK, D("35.70")),
        (R.PAYMENT_CLEARING, D("-35.70")),
    ]


def test_a_payout_line_pays_out_what_the_order_holds() -> None:
    assert check(D("35.70"), D("35.70"), "EUR").verdict == "settle"
    assert check(D("30.00"), D("35.70"), "EUR").verdict == "short"
    assert check(D("10.00"), D("0"), "EUR").verdict == "nothing_open"  # paid out already
    assert _amounts(payout_line(D("35.70"), D("0.54"), D("35.70"))) == [
        (R.BANK_IN_TRANSIT, D("35.16")),
        (R.BANK_CHARGES, D("0.54")),
        (R.PAYMENT_CLEARING, D("-35.70")),
    ]
    # An accepted short payout: the 5.70 the provider kept is a charge like its fee.
    assert _amounts(payout_line(D("30.00"), D("0.45"), D("35.70"))) == [
        (R.BANK_IN_TRANSIT, D("29.55")),
        (R.BANK_CHARGES, D("6.15")),
        (R.PAYMENT_CLEARING, D("-35.70")),
    ]
