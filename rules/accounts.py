"""Account roles: the chart of accounts as seen by posting rules, mapped to real accounts elsewhere."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

NormalBalance = Literal["debit", "credit"]
AccountType = Literal["asset", "liability", "equity", "income", "expense"]


class AccountRole(StrEnum):
    """What an account is for; each entity maps a role to one of its GL accounts."""

    INVENTORY = "inventory"
    GRNI = "grni"
    AP = "ap"
    AR = "ar"
    REVENUE = "revenue"
    SALES_DISCOUNT = "sales_discount"
    SALES_TAX_PAYABLE = "sales_tax_payable"
    INPUT_TAX = "input_tax"
    COGS = "cogs"
    PRICE_VARIANCE = "price_variance"
    BANK = "bank"
    PAYMENT_CLEARING = "payment_clearing"
    MARKETPLACE_FEES = "marketplace_fees"
    SALES_RETURNS = "sales_returns"
    REFUNDS_PAYABLE = "refunds_payable"
    STORE_CREDIT = "store_credit"
    WRITE_OFF = "write_off"
    SHRINKAGE = "shrinkage"
    LANDED_COST_ACCRUAL = "landed_cost_accrual"
    ACCRUED_LIABILITIES = "accrued_liabilities"
    ACCRUED_EXPENSE = "accrued_expense"
    FX_GAIN_LOSS = "fx_gain_loss"
    RETAINED_EARNINGS = "retained_earnings"
    EQUITY = "equity"
    FREIGHT_EXPENSE = "freight_expense"
    # Amounts owed between entities of the group: eliminated on consolidation.
    IC_RECEIVABLE = "ic_receivable"
    IC_PAYABLE = "ic_payable"
    # The currency translation adjustment: arises on consolidation, never posted by an entity's flows.
    CTA = "cta"
    BANK_IN_TRANSIT = "bank_in_transit"
    BANK_CHARGES = "bank_charges"
    INTEREST_INCOME = "interest_income"
    # What a customer was owed by a credit note and the business decided not to pay out (a failed refund).
    REFUND_WRITE_OFF = "refund_write_off"
    # Card money the provider took back on a chargeback, while the shop contests it.
    DISPUTE_CLEARING = "dispute_clearing"
    CHARGEBACK_LOSS = "chargeback_loss"


R = AccountRole

ACCOUNT_TYPE: dict[AccountRole, AccountType] = {
    R.INVENTORY: "asset",
    R.AR: "asset",
    R.INPUT_TAX: "asset",
    R.BANK: "asset",
    # Paid by a payment run, not yet confirmed by the bank statement.
    R.BANK_IN_TRANSIT: "asset",
    # Card/PSP money collected but not yet paid out to the bank.
    R.PAYMENT_CLEARING: "asset",
    R.IC_RECEIVABLE: "asset",
    R.GRNI: "liability",
    R.AP: "liability",
    R.SALES_TAX_PAYABLE: "liability",
    R.REFUNDS_PAYABLE: "liability",
    R.STORE_CREDIT: "liability",
    R.LANDED_COST_ACCRUAL: "liability",
    R.ACCRUED_LIABILITIES: "liability",
    R.IC_PAYABLE: "liability",
    R.RETAINED_EARNINGS: "equity",
    R.EQUITY: "equity",
    R.CTA: "equity",
    R.REVENUE: "income",
    # Contra-revenue: shown under income on the P&L, reducing it.
    R.SALES_DISCOUNT: "income",
    R.SALES_RETURNS: "income",
    R.COGS: "expense",
    R.PRICE_VARIANCE: "expense",
    R.MARKETPLACE_FEES: "expense",
    R.WRITE_OFF: "expense",
    R.SHRINKAGE: "expense",
    R.ACCRUED_EXPENSE: "expense",
    # A single gain/loss account: a credit balance is a net gain.
    R.FX_GAIN_LOSS: "expense",
    R.FREIGHT_EXPENSE: "expense",
    R.BANK_CHARGES: "expense",
    R.INTEREST_INCOME: "income",
    R.REFUND_WRITE_OFF: "income",
    R.DISPUTE_CLEARING: "asset",
    R.CHARGEBACK_LOSS: "expense",
}

_CONTRA_REVENUE = frozenset({R.SALES_DISCOUNT, R.SALES_RETURNS})

NORMAL_BALANCE: dict[AccountRole, NormalBalance] = {
    role: ("debit" if kind in ("asset", "expense") or role in _CONTRA_REVENUE else "credit")
    for role, kind in ACCOUNT_TYPE.items()
}
