"""The purchase-order workflow's first import path: it lives in stages under workflows/purchasing/po/."""

from workflows.purchasing.po.facts import (
    APPROVAL_OPTIONS,
    DELAY_OPTIONS,
    FROM_TEMPORAL_ACTOR,
    FROM_TEMPORAL_REASON,
    LIMIT_REQUIRED,
    PAID_BY_RUNS,
    STAGE_BEFORE_RECORD,
    TASK_SLA,
    TERMINAL,
    WORKFLOW_TYPE,
    Decided,
    InvoiceState,
)
from workflows.purchasing.po.workflow import PurchaseOrderWorkflow

__all__ = [
    "APPROVAL_OPTIONS",
    "DELAY_OPTIONS",
    "FROM_TEMPORAL_ACTOR",
    "FROM_TEMPORAL_REASON",
    "LIMIT_REQUIRED",
    "PAID_BY_RUNS",
    "STAGE_BEFORE_RECORD",
    "TASK_SLA",
    "TERMINAL",
    "WORKFLOW_TYPE",
    "Decided",
    "InvoiceState",
    "PurchaseOrderWorkflow",
]
