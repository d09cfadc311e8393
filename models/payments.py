"""Payment runs and bank statements: supplier payments proposed, approved, sent as pain.001 and cleared."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import RATE, created_at, money

RUN_STATUSES = ("proposed", "paid", "rejected", "empty")
ITEM_STATUSES = ("proposed", "paid", "cleared")
LINE_KINDS = ("payment", "charge", "interest", "other")
LINE_STATUSES = ("matched", "posted", "unmatched", "dismissed")
# What an incoming or outgoing statement line was matched to (None: posted by rule, or not matched).
MATCHED_TO = ("run_payment", "psp_payout", "settlement", "customer_payment")
PAYOUT_STATUSES = ("in_transit", "cleared")
PAYOUT_LINE_STATUSES = ("matched", "difference", "unmatched", "accepted", "dismissed")
# Captures paid out, or a chargeback or refund the provider withheld from the payout.
PAYOUT_LINE_KINDS = ("capture", "chargeback", "refund")
# A chargeback is disputed until decided: accepted (a loss at once), or contested until won or lost.
CHARGEBACK_STATUSES = ("disputed", "contested", "accepted", "won", "lost")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PaymentSetting(SQLModel, table=True):
    """An entity's house bank and whether its supplier invoices are paid by payment runs (not by each PO)."""

    __tablename__ = "payment_setting"
    entity_id: int = Field(foreign_key="entity.id", primary_key=True)
    uses_payment_runs: bool = False
    account_name: str = Field(max_length=70)
    iban: str = Field(max_length=34)
    bic: str = Field(max_length=11)
    updated_by: str = Field(max_length=80)
    created_at: datetime | None = created_at()


class PaymentRunRow(SQLModel, table=True):
    """One payment run of an entity on a run date: the invoices it proposes, who approved, when it was paid."""

    __tablename__ = "payment_run"
    __table_args__ = (
        UniqueConstraint("entity_id", "run_date", name="payment_run_key"),
        CheckConstraint(_in("status", RUN_STATUSES), name="payment_run_status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    run_date: date
    workflow_id: str = Field(max_length=120)
    status: str = Field(default="proposed", max_length=20)
    proposed_by: str = Field(max_length=80)
    approved_by: str | None = Field(default=None, max_length=80)
    # When the run was paid: the bank files (one per currency) carry it as their creation time.
    paid_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime | None = created_at()


class PaymentRunItem(SQLModel, table=True):
    """One supplier invoice paid (in full or in part) by a run: its end-to-end reference, rate, realised FX and ledger entries."""

    __tablename__ = "payment_run_item"
    __table_args__ = (
        CheckConstraint(_in("status", ITEM_STATUSES), name="payment_run_item_status"),
        CheckConstraint("amount > 0", name="payment_run_item_amount"),
        # An invoice may be paid in parts by several runs, once by each.
        UniqueConstraint("run_id", "invoice_id", name="payment_run_item_run_invoice"),
    )
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="payment_run.id", index=True)
    invoice_id: int = Field(foreign_key="supplier_invoice.id", index=True)
    supplier_id: int = Field(foreign_key="supplier.id")
    po_number: str = Field(max_length=30)
    currency: str = Field(max_length=3)
    amount: Decimal = money()
    end_to_end_id: str = Field(max_length=35, unique=True)
    fx_rate: Decimal | None = Field(default=None, sa_type=RATE)
    realised_fx: Decimal = money()
    status: str = Field(default="proposed", max_length=20)
    payment_entry_id: int | None = None
    cleared_entry_id: int | None = None
    created_at: datetime | None = created_at()


class BankStatement(SQLModel, table=True):
    """An imported bank statement (camt.053 or MT940); the same statement is imported once."""

    __tablename__ = "bank_statement"
    __table_args__ = (
        UniqueConstraint("entity_id", "statement_ref", name="bank_statement_key"),
        CheckConstraint("format IN ('camt053','mt940')", name="bank_statement_format"),
    )
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    statement_ref: str = Field(max_length=35)
    format: str = Field(max_length=10)
    account: str | None = Field(default=None, max_length=34)
    imported_by: str = Field(max_length=80)
    created_at: datetime | None = created_at()


class BankStatementLine(SQLModel, table=True):
    """A booked line: matched to a run payment, posted by rule or by a person, unmatched, or dismissed."""

    __tablename__ = "bank_statement_line"
    __table_args__ = (
        UniqueConstraint("statement_id", "line_no", name="bank_statement_line_key"),
        CheckConstraint(_in("kind", LINE_KINDS), name="bank_statement_line_kind"),
        CheckConstraint(_in("status", LINE_STATUSES), name="bank_statement_line_status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="bank_statement.id", index=True)
    line_no: int
    booking_date: date
    amount: Decimal = money()
    currency: str = Field(max_length=3)
    reference: str | None = Field(default=None, max_length=140)
    description: str = Field(default="", max_length=300)
    kind: str = Field(max_length=20)
    status: str = Field(max_length=20)
    payment_item_id: int | None = Field(default=None, foreign_key="payment_run_item.id")
    entry_id: int | None = None
    matched_to: str | None = Field(default=None, max_length=20)
    matched_ref: str | None = Field(default=None, max_length=80)


class PspPayout(SQLModel, table=True):
    """A payment provider's payout report for one channel: card captures less fees, sent to the bank once."""

    __tablename__ = "psp_payout"
    __table_args__ = (
        UniqueConstraint("channel_id", "payout_ref", name="psp_payout_key"),
        CheckConstraint(_in("status", PAYOUT_STATUSES), name="psp_payout_status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    channel_id: int = Field(foreign_key="channel.id")
    payout_ref: str = Field(max_length=35)
    payout_date: date
    currency: str = Field(max_length=3)
    # What the provider says it pays (gross less fees of every line), and what is posted to bank in transit.
    reported_net: Decimal = money()
    in_transit: Decimal = money()
    status: str = Field(default="in_transit", max_length=20)
    cleared_entry_id: int | None = None
    imported_by: str = Field(max_length=80)
    created_at: datetime | None = created_at()


class PspPayoutLine(SQLModel, table=True):
    """One order's captures in a payout: gross, the provider's fee, and what the order held in clearing."""

    __tablename__ = "psp_payout_line"
    __table_args__ = (
        UniqueConstraint("payout_id", "line_no", name="psp_payout_line_key"),
        CheckConstraint(_in("status", PAYOUT_LINE_STATUSES), name="psp_payout_line_status"),
        CheckConstraint(_in("kind", PAYOUT_LINE_KINDS), name="psp_payout_line_kind"),
    )
    id: int | None = Field(default=None, primary_key=True)
    payout_id: int = Field(foreign_key="psp_payout.id", index=True)
    line_no: int
    order_number: str = Field(max_length=80)
    kind: str = Field(default="capture", max_length=20, sa_column_kwargs={"server_default": "capture"})
    gross: Decimal = money()
    fees: Decimal = money()
    held: Decimal | None = money(None, nullable=True)
    status: str = Field(max_length=20)
    reason: str = Field(default="", max_length=300)
    entry_id: int | None = None


class PspChargeback(SQLModel, table=True):
    """A payment provider took a card payment back (the cardholder disputed it): recorded once per channel
    and chargeback id, held in dispute clearing until accepted, won or lost."""

    __tablename__ = "psp_chargeback"
    __table_args__ = (
        UniqueConstraint("channel_id", "chargeback_ref", name="psp_chargeback_key"),
        CheckConstraint(_in("status", CHARGEBACK_STATUSES), name="psp_chargeback_status"),
        CheckConstraint("amount > 0", name="psp_chargeback_amount"),
    )
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    channel_id: int = Field(foreign_key="channel.id")
    chargeback_ref: str = Field(max_length=35)
    order_number: str = Field(max_length=80)
    amount: Decimal = money()
    currency: str = Field(max_length=3)
    reason: str = Field(max_length=200)
    received_on: date
    status: str = Field(default="disputed", max_length=20)
    workflow_id: str = Field(max_length=120)
    entry_id: int | None = None
    settled_entry_id: int | None = None
    imported_by: str = Field(max_length=80)
    decided_by: str | None = Field(default=None, max_length=80)
    created_at: datetime | None = created_at()
