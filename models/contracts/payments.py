"""Messages of the payment-run workflow and its activities (and the PO's paid-by-run signal)."""

from datetime import date
from decimal import Decimal

from pydantic import Field

from models.contracts.base import Contract


class PaymentRunInput(Contract):
    """Start a payment run: an entity's invoices due by the run date, proposed by a person."""

    workflow_id: str
    entity_id: int
    run_date: date
    proposed_by: str


class ProposedPayment(Contract):
    """One invoice the run proposes to pay in full."""

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
    """The invoices the run paid (an invoice already paid another way is left out)."""

    run_id: int
    paid: list[ProposedPayment] = Field(default_factory=list)


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
