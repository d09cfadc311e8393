"""Accounts: every role knows its statement section and which side increases it."""

from rules.accounts import ACCOUNT_TYPE, NORMAL_BALANCE, AccountRole


def test_every_role_is_classified() -> None:
    assert set(ACCOUNT_TYPE) == set(AccountRole)
    assert set(NORMAL_BALANCE) == set(AccountRole)
    assert len(AccountRole) == 34


def test_values_are_snake_case_names() -> None:
    for role in AccountRole:
        assert role.value == role.name.lower()
    assert AccountRole("grni") is AccountRole.GRNI


def test_normal_balances() -> None:
    assert NORMAL_BALANCE[AccountRole.INVENTORY] == "debit"
    assert NORMAL_BALANCE[AccountRole.COGS] == "debit"
    assert NORMAL_BALANCE[AccountRole.AP] == "credit"
    assert NORMAL_BALANCE[AccountRole.REVENUE] == "credit"
    assert NORMAL_BALANCE[AccountRole.EQUITY] == "credit"
    # Contra-revenue accounts sit under income but grow with debits.
    assert ACCOUNT_TYPE[AccountRole.SALES_DISCOUNT] == "income"
    assert NORMAL_BALANCE[AccountRole.SALES_DISCOUNT] == "debit"
    assert NORMAL_BALANCE[AccountRole.SALES_RETURNS] == "debit"


def test_statement_sections() -> None:
    assert ACCOUNT_TYPE[AccountRole.GRNI] == "liability"
    assert ACCOUNT_TYPE[AccountRole.PAYMENT_CLEARING] == "asset"
    assert ACCOUNT_TYPE[AccountRole.STORE_CREDIT] == "liability"
    assert ACCOUNT_TYPE[AccountRole.RETAINED_EARNINGS] == "equity"
    assert ACCOUNT_TYPE[AccountRole.SHRINKAGE] == "expense"
