"""Double-entry postings for each business event (domain.md section 4); debit > 0, credit < 0."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from rules.accounts import ACCOUNT_TYPE, AccountRole
from rules.errors import RuleViolation
from rules.money import allocate, quantize

R = AccountRole


@dataclass(frozen=True, slots=True)
class DraftLine:
    """One line of a journal entry: positive amount is a debit, negative a credit."""

    role: AccountRole
    amount: Decimal
    memo: str


@dataclass(frozen=True, slots=True)
class PostingDraft:
    """A balanced set of lines, ready to be mapped to accounts and written to the ledger."""

    lines: tuple[DraftLine, ...]

    @property
    def total_debit(self) -> Decimal:
        """Sum of the debit lines (equals the sum of credits)."""
        return sum((line.amount for line in self.lines if line.amount > 0), Decimal(0))


def balanced(lines: Iterable[DraftLine]) -> PostingDraft:
    """Drop zero lines and refuse a set of lines that does not sum to zero."""
    kept = tuple(line for line in lines if line.amount != 0)
    total = sum((line.amount for line in kept), Decimal(0))
    if total != 0:
        raise RuleViolation("lines", f"entry does not balance: debits - credits = {total}")
    return PostingDraft(lines=kept)


def _amount(field: str, value: Decimal, currency: str) -> Decimal:
    """Quantize an input amount that must not be negative."""
    if value < 0:
        raise RuleViolation(field, f"must not be negative, got {value}")
    return quantize(value, currency)


def _role(field: str, role: AccountRole, allowed: Iterable[AccountRole]) -> AccountRole:
    """Refuse a role the event cannot post to."""
    allowed = tuple(allowed)
    if role not in allowed:
        names = ", ".join(str(r) for r in allowed)
        raise RuleViolation(field, f"{role} is not allowed here; expected one of {names}")
    return role


def goods_receipt(po_value: Decimal, landed_estimate: Decimal, currency: str) -> PostingDraft:
    """Goods in: inventory at PO price plus estimated landed cost, owed via GRNI and the accrual."""
    po = _amount("po_value", po_value, currency)
    landed = _amount("landed_estimate", landed_estimate, currency)
    return balanced(
        (
            DraftLine(R.INVENTORY, po + landed, "goods received at PO price + landed estimate"),
            DraftLine(R.GRNI, -po, "goods received not invoiced"),
            DraftLine(R.LANDED_COST_ACCRUAL, -landed, "estimated landed cost"),
        )
    )


def invoice_matched(grni_value: Decimal, invoice_net: Decimal, tax: Decimal, currency: str) -> PostingDraft:
    """Matched supplier invoice: clear GRNI, book the price variance and input tax, owe the supplier."""
    grni = _amount("grni_value", grni_value, currency)
    net = _amount("invoice_net", invoice_net, currency)
    tax_q = _amount("tax", tax, currency)
    return balanced(
        (
            DraftLine(R.GRNI, grni, "clear goods received not invoiced"),
            DraftLine(R.PRICE_VARIANCE, net - grni, "invoice price vs PO price"),
            DraftLine(R.INPUT_TAX, tax_q, "recoverable input tax"),
            DraftLine(R.AP, -(net + tax_q), "supplier invoice"),
        )
    )


def landed_cost_invoice(
    accrued: Decimal, actual: Decimal, share_on_hand: Decimal, currency: str
) -> PostingDraft:
    """Freight/duty invoice: clear the accrual; the difference goes to stock still held, the rest to COGS."""
    accrued_q = _amount("accrued", accrued, currency)
    actual_q = _amount("actual", actual, currency)
    if not Decimal(0) <= share_on_hand <= 1:
        raise RuleViolation("share_on_hand", f"must be a fraction between 0 and 1, got {share_on_hand}")
    on_hand, sold = allocate(actual_q - accrued_q, (share_on_hand, 1 - share_on_hand), currency)
    return balanced(
        (
            DraftLine(R.LANDED_COST_ACCRUAL, accrued_q, "clear landed cost accrual"),
            DraftLine(R.INVENTORY, on_hand, "landed cost difference on stock still held"),
            DraftLine(R.COGS, sold, "landed cost difference on stock already sold"),
            DraftLine(R.AP, -actual_q, "landed cost invoice"),
        )
    )


def supplier_payment(amount: Decimal, currency: str) -> PostingDraft:
    """Pay a supplier from the bank."""
    paid = _amount("amount", amount, currency)
    return balanced(
        (
            DraftLine(R.AP, paid, "supplier payment"),
            DraftLine(R.BANK, -paid, "supplier payment"),
        )
    )


def sale_shipped(
    gross_before_discount: Decimal,
    discount: Decimal,
    tax: Decimal,
    cost: Decimal,
    currency: str,
    receivable_role: AccountRole = R.AR,
) -> PostingDraft:
    """Shipment invoiced: revenue gross with the discount shown apart, tax owed, and cost of goods out."""
    gross = _amount("gross_before_discount", gross_before_discount, currency)
    disc = _amount("discount", discount, currency)
    tax_q = _amount("tax", tax, currency)
    cost_q = _amount("cost", cost, currency)
    if disc > gross:
        raise RuleViolation("discount", f"discount {disc} exceeds the gross amount {gross}")
    role = _role("receivable_role", receivable_role, (R.AR, R.PAYMENT_CLEARING))
    return balanced(
        (
            DraftLine(role, gross - disc + tax_q, "customer owes net + tax"),
            DraftLine(R.SALES_DISCOUNT, disc, "discount granted"),
            DraftLine(R.REVENUE, -gross, "revenue before discount"),
            DraftLine(R.SALES_TAX_PAYABLE, -tax_q, "sales tax collected"),
            DraftLine(R.COGS, cost_q, "cost of goods shipped"),
            DraftLine(R.INVENTORY, -cost_q, "goods shipped"),
        )
    )


def marketplace_settlement(
    gross: Decimal, fees: Decimal, currency: str, receivable_role: AccountRole = R.AR
) -> PostingDraft:
    """Marketplace payout: gross less fees is on its way to the bank (bank in transit until the statement
    confirms it); fees are an expense; the receivable clears."""
    gross_q = _amount("gross", gross, currency)
    fees_q = _amount("fees", fees, currency)
    role = _role("receivable_role", receivable_role, (R.AR, R.PAYMENT_CLEARING))
    # Fees above gross make a negative payout (the marketplace debits the bank): still one entry.
    return balanced(
        (
            DraftLine(R.BANK_IN_TRANSIT, gross_q - fees_q, "marketplace payout"),
            DraftLine(R.MARKETPLACE_FEES, fees_q, "marketplace fees"),
            DraftLine(role, -gross_q, "settled marketplace receivable"),
        )
    )


def customer_return(
    refund_net: Decimal,
    refund_tax: Decimal,
    restock_cost: Decimal,
    scrap_cost: Decimal,
    currency: str,
    refund_role: AccountRole = R.AR,
) -> PostingDraft:
    """Return received: reverse revenue and tax to the refund account; goods back to stock or scrapped."""
    net = _amount("refund_net", refund_net, currency)
    tax_q = _amount("refund_tax", refund_tax, currency)
    restock = _amount("restock_cost", restock_cost, currency)
    scrap = _amount("scrap_cost", scrap_cost, currency)
    role = _role("refund_role", refund_role, (R.AR, R.PAYMENT_CLEARING, R.REFUNDS_PAYABLE, R.STORE_CREDIT))
    return balanced(
        (
            DraftLine(R.SALES_RETURNS, net, "sales returned"),
            DraftLine(R.SALES_TAX_PAYABLE, tax_q, "sales tax refunded"),
            DraftLine(role, -(net + tax_q), "refund due to customer"),
            DraftLine(R.INVENTORY, restock, "returned goods restocked at original cost"),
            DraftLine(R.WRITE_OFF, scrap, "returned goods scrapped"),
            DraftLine(R.COGS, -(restock + scrap), "cost of goods returned"),
        )
    )


def inventory_adjustment(value_delta: Decimal, currency: str) -> PostingDraft:
    """Count difference: negative delta is shrinkage (loss), positive a found gain."""
    delta = quantize(value_delta, currency)
    return balanced(
        (
            DraftLine(R.INVENTORY, delta, "stock count adjustment"),
            DraftLine(R.SHRINKAGE, -delta, "shrinkage" if delta < 0 else "stock found"),
        )
    )


def accrual(amount: Decimal, expense_role: AccountRole, currency: str) -> PostingDraft:
    """Month-end accrual of a cost not yet invoiced; reverse it on day 1 of the next period."""
    value = _amount("amount", amount, currency)
    allowed = [role for role, kind in ACCOUNT_TYPE.items() if kind == "expense"] + [R.INVENTORY]
    role = _role("expense_role", expense_role, allowed)
    return balanced(
        (
            DraftLine(role, value, "month-end accrual"),
            DraftLine(R.ACCRUED_LIABILITIES, -value, "month-end accrual"),
        )
    )


def reversal(draft: PostingDraft) -> PostingDraft:
    """The entry that cancels `draft`: every line negated (posted in an open period)."""
    return balanced(DraftLine(line.role, -line.amount, f"reversal: {line.memo}") for line in draft.lines)


def fx_revaluation(difference: Decimal, balance_role: AccountRole, currency: str) -> PostingDraft:
    """Revalue a foreign-currency balance; `difference` is the change of its debit-side book value."""
    delta = quantize(difference, currency)
    if ACCOUNT_TYPE[balance_role] not in ("asset", "liability"):
        raise RuleViolation("balance_role", f"{balance_role} is not a balance-sheet asset or liability")
    return balanced(
        (
            DraftLine(balance_role, delta, "FX revaluation"),
            DraftLine(R.FX_GAIN_LOSS, -delta, "unrealised FX gain" if delta > 0 else "unrealised FX loss"),
        )
    )
