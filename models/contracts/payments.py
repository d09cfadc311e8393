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
