"""Background workflows (the master-data check, the outbox, a webhook delivery, a reconciliation case) also
say in one line what they are about, so an operator scanning the Web UI never reads "No summary"."""

from datetime import date

from models.contracts.foresight import DataQualityInput
from models.contracts.integration import DeliveryRequest, DispatcherInput
from models.contracts.reconcile import CaseInput, Finding, OpenDocument, RepairOutcome
from models.contracts.summaries import summary_of


def test_background_workflows_have_a_summary() -> None:
    check = DataQualityInput(entity_code="UK01", day=date(2026, 11, 30), trigger="manual")
    assert summary_of(check) == "Master-data quality check UK01 2026-11-30 · manual"
    assert (
        summary_of(DataQualityInput(entity_code="UK01"))
        == "Master-data quality check UK01 (today) · schedule"
    )
    assert summary_of(DispatcherInput()) == "Outbox dispatcher · batches of 200, idle 30 s"
    delivery = DeliveryRequest(delivery_id=41, run=2, max_attempts=5)
    assert summary_of(delivery) == "Webhook delivery #41 run 2 · up to 5 attempts"


def test_a_reconciliation_case_names_its_document_and_what_is_left() -> None:
    finding = Finding(
        document=OpenDocument(
            doc_type="purchase_order", number="PO-7", entity_id=3, workflow_id="PO-PO-7", stage="received"
        ),
        workflow_status="TERMINATED",
    )
    case = CaseInput(
        outcome=RepairOutcome(finding=finding, done=[], left="goods received: decide the invoice")
    )
    assert summary_of(case) == (
        "Reconciliation case purchase_order PO-7 · entity #3 · workflow TERMINATED"
        " · goods received: decide the invoice"
    )
