"""A standard retail chart of accounts: one GL account per account role, created with each entity."""

from sqlmodel import Session

from models.master import Account, Entity
from rules.accounts import ACCOUNT_TYPE, AccountRole

# Account codes follow a common retail layout: 1xxx assets, 2xxx liabilities, 3xxx equity,
# 4xxx income, 5xxx cost of sales, 6xxx operating expenses.
STANDARD_CODES: dict[AccountRole, tuple[str, str]] = {
    AccountRole.BANK: ("1000", "Bank"),
    AccountRole.BANK_IN_TRANSIT: ("1010", "Bank in transit"),
    AccountRole.PAYMENT_CLEARING: ("1050", "Card and cash clearing"),
    AccountRole.DISPUTE_CLEARING: ("1060", "Chargebacks in dispute"),
    AccountRole.AR: ("1100", "Accounts receivable"),
    AccountRole.INPUT_TAX: ("1150", "Input tax recoverable"),
    AccountRole.INVENTORY: ("1200", "Inventory"),
    AccountRole.IC_RECEIVABLE: ("1300", "Intercompany receivable"),
    AccountRole.AP: ("2000", "Accounts payable"),
    AccountRole.GRNI: ("2100", "Goods received not invoiced"),
    AccountRole.LANDED_COST_ACCRUAL: ("2110", "Landed cost accrual"),
    AccountRole.ACCRUED_LIABILITIES: ("2150", "Accrued liabilities"),
    AccountRole.SALES_TAX_PAYABLE: ("2200", "Sales tax payable"),
    AccountRole.REFUNDS_PAYABLE: ("2300", "Refunds payable"),
    AccountRole.STORE_CREDIT: ("2310", "Store credit liability"),
    AccountRole.IC_PAYABLE: ("2400", "Intercompany payable"),
    AccountRole.EQUITY: ("3000", "Share capital"),
    AccountRole.RETAINED_EARNINGS: ("3100", "Retained earnings"),
    AccountRole.CTA: ("3200", "Currency translation adjustment"),
    AccountRole.REVENUE: ("4000", "Sales revenue"),
    AccountRole.SALES_DISCOUNT: ("4100", "Sales discounts"),
    AccountRole.SALES_RETURNS: ("4200", "Sales returns"),
    AccountRole.INTEREST_INCOME: ("4900", "Interest income"),
    AccountRole.REFUND_WRITE_OFF: ("4950", "Customer refunds written off"),
    AccountRole.COGS: ("5000", "Cost of goods sold"),
    AccountRole.PRICE_VARIANCE: ("5100", "Purchase price variance"),
    AccountRole.FREIGHT_EXPENSE: ("5200", "Freight and duty"),
    AccountRole.SHRINKAGE: ("5300", "Inventory shrinkage"),
    AccountRole.WRITE_OFF: ("5400", "Inventory write-off"),
    AccountRole.MARKETPLACE_FEES: ("6100", "Marketplace fees"),
    AccountRole.ACCRUED_EXPENSE: ("6200", "Accrued expenses"),
    AccountRole.BANK_CHARGES: ("6300", "Bank charges"),
    AccountRole.CHARGEBACK_LOSS: ("6400", "Chargeback losses"),
    AccountRole.FX_GAIN_LOSS: ("6900", "Exchange gains and losses"),
}


def create_entity(session: Session, *, code: str, name: str, currency: str, time_zone: str = "UTC") -> Entity:
    """Create an entity with the standard chart of accounts (every role mapped)."""
    entity = Entity(code=code, name=name, currency=currency, time_zone=time_zone)
    session.add(entity)
    session.flush()
    assert entity.id is not None
    for role in AccountRole:
        acc_code, acc_name = STANDARD_CODES[role]
        session.add(
            Account(entity_id=entity.id, code=acc_code, name=acc_name, type=ACCOUNT_TYPE[role], role=role)
        )
    session.flush()
    return entity
