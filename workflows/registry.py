"""Every workflow class the worker runs; the API looks classes up here to send typed updates."""

from typing import Any

from workflows.close.month_end import MonthEndCloseWorkflow
from workflows.foresight.data_quality import DataQualityCheckWorkflow
from workflows.integration.delivery import WebhookDeliveryWorkflow
from workflows.integration.dispatcher import OutboxDispatcherWorkflow
from workflows.journals.intercompany import IntercompanyChargeWorkflow
from workflows.journals.manual_journal import ManualJournalWorkflow
from workflows.operations.reconcile import ReconciliationWorkflow
from workflows.operations.reconcile_case import ReconciliationCaseWorkflow
from workflows.payments.bank_statement import BankStatementWorkflow
from workflows.payments.chargeback import ChargebackWorkflow
from workflows.payments.payment_run import PaymentRunWorkflow
from workflows.payments.psp_payout import PspPayoutWorkflow
from workflows.purchasing.purchase_order import PurchaseOrderWorkflow
from workflows.replenishment.cycle_count import CycleCountWorkflow
from workflows.replenishment.daily_run import ReplenishmentRunWorkflow
from workflows.replenishment.transfer import TransferOrderWorkflow
from workflows.returns.rma import ReturnWorkflow
from workflows.sales.order import OrderWorkflow
from workflows.sales.settlement import SettlementWorkflow

WORKFLOWS: list[type[Any]] = [
    OrderWorkflow,
    SettlementWorkflow,
    PurchaseOrderWorkflow,
    MonthEndCloseWorkflow,
    OutboxDispatcherWorkflow,
    WebhookDeliveryWorkflow,
    ReturnWorkflow,
    ReplenishmentRunWorkflow,
    TransferOrderWorkflow,
    CycleCountWorkflow,
    DataQualityCheckWorkflow,
    ReconciliationWorkflow,
    ReconciliationCaseWorkflow,
    ManualJournalWorkflow,
    IntercompanyChargeWorkflow,
    PaymentRunWorkflow,
    BankStatementWorkflow,
    PspPayoutWorkflow,
    ChargebackWorkflow,
]


def by_type_name(name: str) -> type[Any]:
    """The workflow class registered under a workflow type name."""
    for wf in WORKFLOWS:
        if getattr(wf, "__temporal_workflow_definition").name == name:
            return wf
    raise KeyError(f"no workflow type {name!r} is registered")
