"""Bank statement lines: what kind of line it is, which run payment it confirms, and how it posts."""

from dataclasses import dataclass
from decimal import Decimal

from rules.accounts import AccountRole
from rules.money import quantize
from rules.posting_rules import DraftLine, PostingDraft, balanced

R = AccountRole
# Bank transaction codes (camt.053 BkTxCd family/sub-family, MT940 transaction type) for charges and interest.
CHARGE_CODES = frozenset({"CHRG", "NCHG", "FEES", "COMM", "CCHG"})
INTEREST_CODES = frozenset({"INTR", "NINT", "INT"})


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far a confirmed amount may be from the payment (bank rounding), in the payment's currency."""

    absolute: Decimal = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class OpenPayment:
    """A run payment waiting for the bank: its end-to-end reference, amount and currency."""

    item_id: int
    end_to_end_id: str
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Match:
    """The payment a line confirms, or why it confirms none."""

    item_id: int | None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ExpectedReceipt:
    """Money we wait for: a PSP payout, a marketplace settlement or a customer's open receivable."""

    kind: str
    ref: str
    amount: Decimal
    currency: str
    ident: int = 0
    # Where a customer's money is booked until it arrives: the receivable, or payment clearing (a transfer
    # the order recorded as paid and captured at shipment).
    account: AccountRole = R.AR


@dataclass(frozen=True, slots=True)
class ReceiptMatch:
    """The receipt an incoming line confirms, or why it confirms none."""

    receipt: ExpectedReceipt | None
    reason: str | None = None


NOTHING_NAMED = "no payout, settlement or open order named by the line's reference"


def classify(code: str | None, amount: Decimal) -> str:
    """payment, charge or interest by the bank's transaction code; an unknown code stays `payment`/`other`."""
    found = (code or "").upper()
    if found in CHARGE_CODES and amount < 0:
        return "charge"
    if found in INTEREST_CODES:
        return "interest"
    return "payment" if amount < 0 else "other"


def match_payment(
    amount: Decimal,
    currency: str,
    reference: str | None,
    open_payments: list[OpenPayment],
    tolerance: Tolerance = Tolerance(),
) -> Match:
    """An outgoing line confirms the open payment with its end-to-end reference when the amount agrees."""
    if not reference:
        return Match(None, "no end-to-end reference on the line")
    found = next((p for p in open_payments if p.end_to_end_id == reference.strip()), None)
    if found is None:
        return Match(None, f"no open run payment with reference {reference}")
    if found.currency != currency:
        return Match(None, f"currency {currency} differs from the payment's {found.currency}")
    if abs(-amount - found.amount) > tolerance.absolute:
        return Match(
            None, f"amount {-amount} differs from the payment's {found.amount} beyond {tolerance.absolute}"
        )
    return Match(found.item_id)


def transit_cleared(amount: Decimal) -> PostingDraft:
    """The bank confirmed a run payment: bank-in-transit moves to the bank."""
    return balanced(
        (
            DraftLine(R.BANK_IN_TRANSIT, amount, "payment confirmed by the bank"),
            DraftLine(R.BANK, -amount, "payment confirmed by the bank"),
        )
    )


def by_rule(kind: str, amount: Decimal) -> PostingDraft:
    """A charge (amount < 0) to bank charges, interest (either sign) to interest income, against the bank."""
    role = R.BANK_CHARGES if kind == "charge" else R.INTEREST_INCOME
    return balanced((DraftLine(R.BANK, amount, f"bank {kind}"), DraftLine(role, -amount, f"bank {kind}")))


def paid_in_transit(amount: Decimal) -> PostingDraft:
    """A run payment: the payable is settled, the money is on its way (bank-in-transit)."""
    return balanced(
        (
            DraftLine(R.AP, amount, "supplier payment (payment run)"),
            DraftLine(R.BANK_IN_TRANSIT, -amount, "supplier payment (payment run)"),
        )
    )


def reference_words(texts: list[str | None]) -> list[str]:
    """The words of a line's end-to-end id and remittance text that could name a payout, report or order."""
    words = (w.strip(".,;:()[]'\"") for t in texts if t for w in t.split())
    return sorted({w for w in words if 3 <= len(w) <= 80})


def match_receipt(
    amount: Decimal,
    currency: str,
    texts: list[str | None],
    expected: list[ExpectedReceipt],
    tolerance: Tolerance = Tolerance(),
) -> ReceiptMatch:
    """An incoming line confirms the expected receipt its end-to-end id or remittance text names, when
    currency and amount agree within tolerance (the first such one in `expected` order: payouts,
    settlements, then customers' orders)."""
    words = set(reference_words(texts))
    named = [e for e in expected if e.ref in words]
    if not named:
        return ReceiptMatch(None, NOTHING_NAMED)
    for found in named:
        if found.currency == currency and abs(amount - found.amount) <= tolerance.absolute:
            return ReceiptMatch(found)
    first = named[0]
    return ReceiptMatch(
        None,
        f"{first.kind} {first.ref} expects {quantize(first.amount, first.currency)} {first.currency},"
        f" the line has {amount} {currency}",
    )


def payout_arrived(expected: Decimal, received: Decimal) -> PostingDraft:
    """The bank received a payout: bank in transit moves to the bank; a rest within tolerance is a charge."""
    return balanced(
        (
            DraftLine(R.BANK, received, "payout received by the bank"),
            DraftLine(R.BANK_IN_TRANSIT, -expected, "payout received by the bank"),
            DraftLine(R.BANK_CHARGES, expected - received, "payout rounding"),
        )
    )


def customer_paid(amount: Decimal, account: AccountRole = R.AR) -> PostingDraft:
    """A customer's transfer arrived: the bank is debited, the order's receivable (or clearing) credited."""
    return balanced(
        (
            DraftLine(R.BANK, amount, "customer payment received"),
            DraftLine(account, -amount, "customer payment received"),
        )
    )


def intercompany_settled(bank: Decimal, role: AccountRole) -> PostingDraft:
    """Money between two entities of the group for an intercompany charge: the bank moves by `bank` (paid out
    < 0, received > 0) and the intercompany payable or receivable (`role`) by the opposite."""
    memo = "intercompany transfer"
    return balanced((DraftLine(R.BANK, bank, memo), DraftLine(role, -bank, memo)))
