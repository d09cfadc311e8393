"""The double-entry general ledger: append-only journal entries and lines."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ARRAY, BigInteger, CheckConstraint, Index, Integer
from sqlmodel import Field, SQLModel

from models.base import MONEY, RATE, created_at


class JournalEntry(SQLModel, table=True):
    """One balanced posting; `idempotency_key` makes a retried posting return the first one."""

    __tablename__ = "journal_entry"
    __table_args__ = (Index("journal_entry_entity_period", "entity_id", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id")
    idempotency_key: str = Field(unique=True, max_length=200)
    posting_date: date
    period: str = Field(max_length=7)
    memo: str = ""
    source_type: str = Field(max_length=40)
    source_id: str = Field(max_length=80)
    reverses_entry_id: int | None = Field(default=None, foreign_key="journal_entry.id")
    created_by: str = "system"
    created_at: datetime | None = created_at()


class JournalLine(SQLModel, table=True):
    """A signed line (debit > 0, credit < 0) in transaction and functional currency, stored by period."""

    __tablename__ = "journal_line"
    __table_args__ = (
        Index("journal_line_entity_account", "entity_id", "account_id"),
        CheckConstraint("amount <> 0 OR amount_func <> 0", name="journal_line_nonzero"),
        CheckConstraint(
            "(amount >= 0) = (amount_func >= 0) OR amount = 0 OR amount_func = 0",
            name="journal_line_same_sign",
        ),
    )
    # From journal_line_id_seq: a composite key needs autoincrement said explicitly.
    id: int | None = Field(default=None, primary_key=True, sa_column_kwargs={"autoincrement": True})
    entry_id: int = Field(index=True)
    # The entry (id and period) and the entity are checked per statement by triggers (migration 0020).
    entity_id: int
    account_id: int = Field(foreign_key="account.id")
    currency: str = Field(max_length=3)
    amount: Decimal = Field(sa_type=MONEY)
    amount_func: Decimal = Field(sa_type=MONEY)
    fx_rate: Decimal = Field(default=Decimal("1"), sa_type=RATE)
    memo: str = ""
    partner_type: str | None = Field(default=None, max_length=20)
    partner_id: str | None = Field(default=None, max_length=40)
    # The entry's period: the partition key (list partitioned, one partition per period; migration 0020).
    period: str = Field(max_length=7, primary_key=True)


class LedgerPeriodBalance(SQLModel, table=True):
    """Journal line totals per entity, period, account, currency and partner tagging, kept by a trigger."""

    __tablename__ = "ledger_period_balance"
    __table_args__ = (
        CheckConstraint("debit_func >= 0 AND credit_func >= 0", name="ledger_period_balance_sides"),
    )
    entity_id: int = Field(foreign_key="entity.id", primary_key=True)
    period: str = Field(max_length=7, primary_key=True)
    account_id: int = Field(foreign_key="account.id", primary_key=True)
    currency: str = Field(max_length=3, primary_key=True)
    # Lines naming a partner: the journal-based AP/AR subledger reads these without scanning lines.
    partnered: bool = Field(primary_key=True)
    amount: Decimal = Field(sa_type=MONEY)
    amount_func: Decimal = Field(sa_type=MONEY)
    debit_func: Decimal = Field(sa_type=MONEY)
    credit_func: Decimal = Field(sa_type=MONEY)
    lines: int


class JournalCheckBatch(SQLModel, table=True):
    """Entries one statement inserted, checked together at commit and then deleted (kept by triggers only)."""

    __tablename__ = "journal_check_batch"
    id: int | None = Field(default=None, sa_type=BigInteger, primary_key=True)
    # The inserting transaction: its first check at commit takes all of its batches.
    xact: int = Field(sa_type=BigInteger, index=True)
    entry_ids: list[int] = Field(sa_type=ARRAY(Integer))
