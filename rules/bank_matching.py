"""Bank statement lines: what kind of line it is, which run payment it confirms, and how it posts."""

from dataclasses import dataclass
from decimal import Decimal

from rules.accounts import AccountRole
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
