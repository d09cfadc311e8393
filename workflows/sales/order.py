"""The sales-order workflow's first import path: it lives in stages under workflows/sales/so/."""

from workflows.sales.so.effects import activity_name
from workflows.sales.so.facts import (
    FROM_TEMPORAL_ACTOR,
    FROM_TEMPORAL_REASON,
    LOCAL_DB_STEPS,
    PAYMENT_PATHS,
    WORKFLOW_TYPE,
)
from workflows.sales.so.workflow import OrderWorkflow

__all__ = [
    "FROM_TEMPORAL_ACTOR",
    "FROM_TEMPORAL_REASON",
    "LOCAL_DB_STEPS",
    "PAYMENT_PATHS",
    "WORKFLOW_TYPE",
    "OrderWorkflow",
    "activity_name",
]
