"""The return workflow in stages: workflow.py reads as the value stream and holds the messages;
approval.py, refund.py, goods.py, exchange.py and cancellation.py hold each stage's state and logic;
facts.py the RMA they share; effects.py its activities, tasks and stage on show.

`workflows.returns.rma` was a module first: its public names are re-exported here."""

from workflows.returns.rma.facts import (
    FAILED_REFUND_DECIDED,
    FROM_TEMPORAL_ACTOR,
    FROM_TEMPORAL_REASON,
    WORKFLOW_TYPE,
)
from workflows.returns.rma.workflow import ReturnWorkflow

__all__ = [
    "FAILED_REFUND_DECIDED",
    "FROM_TEMPORAL_ACTOR",
    "FROM_TEMPORAL_REASON",
    "WORKFLOW_TYPE",
    "ReturnWorkflow",
]
