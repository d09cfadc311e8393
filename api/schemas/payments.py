"""Payment runs, the house bank setting and bank statements: request bodies and answers."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.base import Body, Id, examples
from models.contracts.bounds import (
    MAX_LINES,
    AccountHolder,
    Amount,
    Bic,
    EventDate,
    Iban,
    PlanDate,
    PositiveAmount,
)
from models.contracts.payments import PayoutLineKind

# A statement file of a few thousand lines; larger files are split by the bank per day anyway.
MAX_STATEMENT_CHARS = 2_000_000


class PaymentSettingBody(Body):
    """The entity's house bank (the debtor of its pain.001 files) and whether runs pay its suppliers."""

    model_config = examples(
        {
            "uses_payment_runs": True,
            "account_name": "Nordwind Retail GmbH",
            "iban": "DE02120300000000202051",
            "bic": "BYLADEM1001",
        }
    )

    uses_payment_runs: bool = Field(
        description="POs created from now on wait for a payment run", examples=[True]
    )
    account_name: AccountHolder = Field(examples=["Nordwind Retail GmbH"])
    iban: Iban = Field(examples=["DE02120300000000202051"])
    bic: Bic = Field(examples=["BYLADEM1001"])


class PaymentSettingOut(BaseModel):
    """The stored setting."""

    entity_id: int = Field(examples=[1])
    uses_payment_runs: bool = Field(examples=[True])
    account_name: str = Field(max_length=70, examples=["Nordwind Retail GmbH"])
    iban: str = Field(max_length=34, examples=["DE02120300000000202051"])
    bic: str = Field(max_length=11, examples=["BYLADEM1001"])


class PartPaymentBody(Body):
    """Pay only part of a due invoice in this run; the rest stays open for a later run."""

    invoice_id: Id = Field(examples=[42])
    amount: PositiveAmount = Field(
        description="at most what is open on the invoice now, in its currency's minor units",
        examples=["40.40"],
    )


class PaymentRunBody(Body):
    """Propose a payment run: the entity's invoices approved for payment and due by the run date, each paid
    in full unless `amounts` pays it in part."""

    model_config = examples(
        {"entity_id": 1, "run_date": "2026-11-30", "amounts": [{"invoice_id": 42, "amount": "40.40"}]}
    )

    entity_id: Id = Field(examples=[1])
    run_date: PlanDate = Field(examples=["2026-11-30"])
    amounts: list[PartPaymentBody] = Field(default_factory=list, max_length=MAX_LINES)


class PaymentRunStarted(BaseModel):
    """The run as its workflow proposed it (stage approval, or empty when nothing is due)."""

    workflow_id: str = Field(max_length=120, examples=["PaymentRun-EU01-2026-11-30"])
    run_id: int | None = Field(default=None, examples=[7])
    stage: str = Field(max_length=20, examples=["approval"])
    proposed: int = Field(ge=0, examples=[3])


class PaymentRunItemOut(BaseModel):
    """One invoice of the run."""

    invoice_id: int = Field(examples=[42])
    invoice_number: str = Field(max_length=60, examples=["INV-2026-0042"])
    po_number: str = Field(max_length=30, examples=["PO-000123"])
    supplier_id: int = Field(examples=[1])
    currency: str = Field(max_length=3, examples=["EUR"])
    amount: Decimal = Field(examples=["101.00"])
    end_to_end_id: str = Field(max_length=35, examples=["PR7-INV42"])
    status: Literal["proposed", "paid", "cleared"] = Field(examples=["paid"])
    fx_rate: Decimal | None = Field(default=None, examples=["1"])
    realised_fx: Decimal = Field(description="gain > 0, loss < 0, functional currency", examples=["0.00"])


class PaymentRunOut(BaseModel):
    """A payment run with its invoices."""

    id: int = Field(examples=[7])
    entity_id: int = Field(examples=[1])
    run_date: date = Field(examples=["2026-11-30"])
    workflow_id: str = Field(max_length=120, examples=["PaymentRun-EU01-2026-11-30"])
    status: Literal["proposed", "paid", "rejected", "empty"] = Field(examples=["paid"])
    proposed_by: str = Field(max_length=80, examples=["ap.clerk"])
    approved_by: str | None = Field(default=None, max_length=80, examples=["controller"])
    paid_at: datetime | None = None
    items: list[PaymentRunItemOut] = Field(max_length=100_000)


class BankFileOut(BaseModel):
    """A pain.001.001.03 credit-transfer file of the run (one per currency)."""

    currency: str = Field(max_length=3, examples=["EUR"])
    message_id: str = Field(max_length=35, examples=["PR7-EUR"])
    xml: str = Field(description="the XML document, valid against the ISO 20022 XSD")


class StatementBody(Body):
    """A bank statement file as the bank sent it."""

    model_config = examples({"entity_id": 1, "format": "mt940", "content": ":20:STMT-1\n:25:DE02...\n-"})

    entity_id: Id = Field(examples=[1])
    format: Literal["camt053", "mt940"] = Field(examples=["camt053"])
    content: str = Field(min_length=1, max_length=MAX_STATEMENT_CHARS, description="the file's text")


class StatementLineOut(BaseModel):
    """A statement line: matched to a run payment, posted by rule, or unmatched (with why)."""

    line_no: int = Field(examples=[1])
    booking_date: date = Field(examples=["2026-11-30"])
    amount: Decimal = Field(description="debit < 0", examples=["-101.00"])
    currency: str = Field(max_length=3, examples=["EUR"])
    reference: str | None = Field(default=None, max_length=140, examples=["PR7-INV42"])
    description: str = Field(max_length=300, examples=["Supplier payment"])
    kind: Literal["payment", "charge", "interest", "other"] = Field(examples=["payment"])
    status: Literal["matched", "posted", "unmatched", "dismissed"] = Field(examples=["matched"])
    entry_id: int | None = Field(default=None, examples=[311])
    matched_to: (
        Literal[
            "run_payment", "psp_payout", "settlement", "customer_payment", "refund_transfer", "intercompany"
        ]
        | None
    ) = Field(default=None, examples=["psp_payout"])
    matched_ref: str | None = Field(
        default=None,
        max_length=80,
        description="the payout, settlement, order, credit note (a refund paid by transfer) or intercompany"
        " charge it matched",
        examples=["po_1"],
    )


class StatementOut(BaseModel):
    """An imported statement; `duplicate` when it had been imported before (nothing changed)."""

    id: int = Field(examples=[3])
    entity_id: int = Field(examples=[1])
    statement_ref: str = Field(max_length=35, examples=["STMT-2026-11-30"])
    format: Literal["camt053", "mt940"] = Field(examples=["camt053"])
    account: str | None = Field(default=None, max_length=34, examples=["DE02120300000000202051"])
    duplicate: bool = Field(examples=[False])
    lines: list[StatementLineOut] = Field(max_length=100_000)


class PayoutLineBody(Body):
    """One order in a payment provider's payout: the captured gross (or what the provider withheld for a
    chargeback or a refund it took from the order after paying it out) and the fee the provider kept."""

    order_number: str = Field(min_length=1, max_length=80, examples=["SO-000123"])
    gross: PositiveAmount = Field(examples=["35.70"])
    fees: Amount = Field(examples=["0.54"])
    kind: PayoutLineKind = Field(
        default="capture",
        description="capture: paid out; chargeback, refund: withheld from the payout (the payout is that much less)",
        examples=["capture"],
    )


class PayoutBody(Body):
    """A payment provider's payout report for one channel (card captures less fees)."""

    model_config = examples(
        {
            "channel": "WEB-EU",
            "payout_id": "po_2026_11_30",
            "payout_date": "2026-11-30",
            "lines": [{"order_number": "SO-000123", "gross": "35.70", "fees": "0.54"}],
        }
    )

    channel: str = Field(min_length=1, max_length=30, examples=["WEB-EU"])
    payout_id: str = Field(
        min_length=1, max_length=35, pattern=r"^[A-Za-z0-9._:-]+$", examples=["po_2026_11_30"]
    )
    payout_date: EventDate
    lines: list[PayoutLineBody] = Field(min_length=1, max_length=2000)


class PayoutLineOut(BaseModel):
    """A payout line: posted (matched or accepted), or waiting for a person (difference, unmatched)."""

    line_no: int = Field(examples=[1])
    order_number: str = Field(max_length=80, examples=["SO-000123"])
    kind: PayoutLineKind = Field(examples=["capture"])
    gross: Decimal = Field(examples=["35.70"])
    fees: Decimal = Field(examples=["0.54"])
    held: Decimal | None = Field(default=None, description="what the order held in payment clearing")
    status: Literal["matched", "difference", "unmatched", "accepted", "dismissed"] = Field(
        examples=["matched"]
    )
    reason: str = Field(max_length=300, examples=[""])
    entry_id: int | None = Field(default=None, examples=[412])


class PayoutOut(BaseModel):
    """An imported payout; `duplicate` when it had been imported before (nothing changed)."""

    id: int = Field(examples=[5])
    entity_id: int = Field(examples=[1])
    channel: str = Field(max_length=30, examples=["WEB-EU"])
    payout_ref: str = Field(max_length=35, examples=["po_2026_11_30"])
    payout_date: date = Field(examples=["2026-11-30"])
    currency: str = Field(max_length=3, examples=["EUR"])
    reported_net: Decimal = Field(
        description="gross less fees of every line (a withheld line's gross counts negative)",
        examples=["35.16"],
    )
    in_transit: Decimal = Field(description="posted to bank in transit", examples=["35.16"])
    status: Literal["in_transit", "cleared"] = Field(examples=["in_transit"])
    duplicate: bool = Field(examples=[False])
    lines: list[PayoutLineOut] = Field(max_length=100_000)


class ChargebackBody(Body):
    """A chargeback the payment provider reported: it took a card payment of an order back."""

    model_config = examples(
        {
            "channel": "WEB-EU",
            "chargeback_id": "cb_2026_11_30_1",
            "order_number": "SO-000123",
            "amount": "35.70",
            "reason": "fraudulent: cardholder does not recognise the payment",
            "received_on": "2026-11-30",
        }
    )

    channel: str = Field(min_length=1, max_length=30, examples=["WEB-EU"])
    chargeback_id: str = Field(
        min_length=1, max_length=35, pattern=r"^[A-Za-z0-9._:-]+$", examples=["cb_2026_11_30_1"]
    )
    order_number: str = Field(min_length=1, max_length=80, examples=["SO-000123"])
    amount: PositiveAmount = Field(
        description="at most what the order paid by card, less refunds and other chargebacks",
        examples=["35.70"],
    )
    reason: str = Field(min_length=1, max_length=200, examples=["fraudulent"])
    received_on: EventDate


class ChargebackOut(BaseModel):
    """A recorded chargeback; `duplicate` when it had been recorded before (nothing changed)."""

    id: int = Field(examples=[4])
    entity_id: int = Field(examples=[1])
    channel: str = Field(max_length=30, examples=["WEB-EU"])
    chargeback_ref: str = Field(max_length=35, examples=["cb_2026_11_30_1"])
    order_number: str = Field(max_length=80, examples=["SO-000123"])
    amount: Decimal = Field(examples=["35.70"])
    currency: str = Field(max_length=3, examples=["EUR"])
    reason: str = Field(max_length=200, examples=["fraudulent"])
    received_on: date = Field(examples=["2026-11-30"])
    status: Literal["disputed", "contested", "accepted", "won", "lost"] = Field(examples=["disputed"])
    workflow_id: str = Field(max_length=120, examples=["Chargeback-WEB-EU-cb_2026_11_30_1"])
    entry_id: int | None = Field(default=None, examples=[512])
    settled_entry_id: int | None = Field(default=None, examples=[530])
    decided_by: str | None = Field(default=None, max_length=80, examples=["controller"])
    duplicate: bool = Field(examples=[False])
