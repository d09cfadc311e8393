"""Contracts of the reconciliation between Temporal and PostgreSQL (documents whose workflow has ended)."""

from typing import Literal

from models.contracts.base import Contract

DocType = Literal["purchase_order", "sales_order", "return", "transfer_order"]


def case_task_key(doc_type: str, number: str) -> str:
    """The business key of the one reconciliation task a document ever gets."""
    return f"reconcile:{doc_type}:{number}"


class ReconcileInput(Contract):
    """Reconcile one entity's open documents (a schedule run or `erp reconcile run`)."""

    entity_code: str
    trigger: Literal["schedule", "manual"] = "schedule"


class OpenDocument(Contract):
    """A document PostgreSQL shows as open, and the workflow that should be carrying it."""

    doc_type: DocType
    number: str
    workflow_id: str
    entity_id: int
    stage: str


class Finding(Contract):
    """An open document whose workflow is not running (TERMINATED, FAILED, TIMED_OUT, CANCELED, NOT_FOUND...)."""

    document: OpenDocument
    workflow_status: str


class ScanResult(Contract):
    """How many documents are open, and those whose workflow has ended."""

    entity_id: int
    open_documents: int
    findings: list[Finding]


class RepairOutcome(Contract):
    """What the repair did; `left` says what a person must decide (None: fully repaired)."""

    finding: Finding
    done: list[str]
    left: str | None = None
    case_exists: bool = False


class CaseInput(Contract):
    """One document a person must look at: what was found, what was repaired, what was not."""

    outcome: RepairOutcome


class ReconcileResult(Contract):
    """One run's counts."""

    entity_code: str
    open_documents: int
    ended_workflows: int
    repaired: int
    cases_opened: int


class TransferCancel(Contract):
    """Cancel a transfer that has not shipped (nothing moved, nothing reserved)."""

    number: str
    actor: str
    reason: str
