"""Messages of the payment-run workflow and its activities (and the PO's paid-by-run signal)."""

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field

from models.contracts.base import Contract


class PartPayment(Contract):
    """Pay only this much of a due invoice in the run (the rest stays open for a later run)."""

    invoice_id: int
    amount: Decimal


class PaymentRunInput(Contract):
    """Start a payment run: an entity's invoices due by the run date, proposed by a person; `parts` pays
    some of them only in part."""

    workflow_id: str
    entity_id: int
    run_date: date
    proposed_by: str
    parts: list[PartPayment] = Field(default_factory=list)


class ProposedPayment(Contract):
    """One invoice the run proposes to pay: what is open on it, or the part the clerk asked for."""

    item_id: int
    invoice_id: int
    invoice_number: str
    po_number: str
    supplier_id: int
    currency: str
    amount: Decimal


class RunProposal(Contract):
    """What the run proposes, and the due invoices it leaves out and why."""

    run_id: int
    payments: list[ProposedPayment] = Field(default_factory=list)
    left_out: dict[str, str] = Field(default_factory=dict)


class PayRun(Contract):
    """Pay an approved run: post every payment and make its bank files."""

    run_id: int
    approved_by: str
    paid_on: date


class PaidRun(Contract):
    """The invoices the run paid off (their POs are told), and those it paid only in part (an invoice
    already paid another way is left out)."""

    run_id: int
    paid: list[ProposedPayment] = Field(default_factory=list)
    part_paid: list[ProposedPayment] = Field(default_factory=list)


class CloseRun(Contract):
    """A run ends rejected or empty."""

    run_id: int
    status: str
    actor: str


class PaidByRun(Contract):
    """Signal to a PO workflow: a payment run paid this invoice (the PO's own due-date payment stands down)."""

    invoice_id: int
    run_id: int


class RunStatus(Contract):
    """The run as its workflow sees it."""

    run_id: int | None
    stage: str
    proposed: int
    approved_by: str | None = None


class StatementLineIn(Contract):
    """A booked statement line as parsed: signed amount (debit < 0), bank code, end-to-end reference."""

    line_no: int
    booking_date: date
    amount: Decimal
    currency: str
    code: str | None = None
    reference: str | None = None
    description: str = ""


class StatementInput(Contract):
    """An imported statement: one workflow per entity and statement id, so a repeat import changes nothing."""

    workflow_id: str
    entity_id: int
    format: str
    statement_ref: str
    account: str | None = None
    imported_by: str
    lines: list[StatementLineIn] = Field(default_factory=list)


class UnmatchedLine(Contract):
    """A line no rule could book: a person decides it."""

    line_no: int
    amount: Decimal
    currency: str
    reason: str


class StatementImported(Contract):
    """The stored statement and its lines left for a person."""

    statement_id: int
    unmatched: list[UnmatchedLine] = Field(default_factory=list)
    open_tasks: list[int] = Field(default_factory=list)


class ResolveLine(Contract):
    """A person's decision on an unmatched line: book it as a charge or interest, or dismiss it."""

    statement_id: int
    line_no: int
    decision: str
    actor: str


# What a payout line is: card captures paid out, or money the provider keeps back from the payout because it
# took it from the order after paying it out (a chargeback, a refund to the card).
PayoutLineKind = Literal["capture", "chargeback", "refund"]


class PayoutLineIn(Contract):
    """One order in a payment provider's payout: the captured gross (or the amount withheld) and the fee."""

    line_no: int
    order_number: str
    gross: Decimal
    fees: Decimal
    kind: PayoutLineKind = "capture"


class PayoutInput(Contract):
    """A PSP payout report of one channel: one workflow per channel and payout id (imported once)."""

    workflow_id: str
    entity_id: int
    channel_id: int
    payout_ref: str
    payout_date: date
    currency: str
    imported_by: str
    lines: list[PayoutLineIn] = Field(default_factory=list)


class PayoutDifference(Contract):
    """A line not posted: unknown order, or a gross that differs from what the order holds in clearing."""

    line_no: int
    order_number: str
    status: str
    reason: str
    held: Decimal | None = None


class PayoutImported(Contract):
    """The stored payout and the lines a person decides."""

    payout_id: int
    differences: list[PayoutDifference] = Field(default_factory=list)
    open_tasks: list[int] = Field(default_factory=list)


class ResolvePayoutLine(Contract):
    """A person's decision on a payout line: accept (post it, the rest to provider fees) or dismiss it."""

    payout_id: int
    line_no: int
    decision: str
    actor: str


class FailedRefundDecision(Contract):
    """A person's decision on a refund the provider refused (`attempt`: the refunds tried so far)."""

    rma_number: str
    decision: str
    attempt: int
    actor: str
    comment: str | None = None
    posting_date: date


class FailedRefundOutcome(Contract):
    """What the decision did; `task_id` is the next decision's task when the retry failed again."""

    outcome: Literal["refunded", "failed", "payable", "written_off"]
    task_id: int | None = None
    entry_id: int | None = None


class ChargebackInput(Contract):
    """A chargeback the provider reported: one workflow per channel and chargeback id (recorded once)."""

    workflow_id: str
    entity_id: int
    channel_id: int
    chargeback_ref: str
    order_number: str
    amount: Decimal
    currency: str
    reason: str
    received_on: date
    imported_by: str


class ChargebackRecorded(Contract):
    """The stored chargeback and its posting (payment clearing -> dispute clearing)."""

    chargeback_id: int
    entry_id: int | None = None


class SettleChargeback(Contract):
    """A person's decision on a chargeback: accept or contest it, then won or lost."""

    chargeback_id: int
    decision: str
    actor: str
    on: date
