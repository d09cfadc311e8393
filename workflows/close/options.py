"""The month-end close's name and activity options, shared by the workflow and its sign-off stage."""

from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows import retry

WORKFLOW_TYPE = "MonthEndClose"
RETRY = retry.transient("RuleViolation", "PeriodClosed", "NotFound", "Conflict")
ACT: dict[str, Any] = {"start_to_close_timeout": timedelta(seconds=60), "retry_policy": RETRY}
# Reconciliations and statements aggregate the whole ledger: give them room on a large book. They heartbeat
# (activities/heartbeat.py), so a worker that dies mid-step is noticed in 30 s and the step runs again on another,
# instead of the close waiting out the 15 minutes.
HEAVY: dict[str, Any] = {
    "start_to_close_timeout": timedelta(minutes=15),
    "heartbeat_timeout": timedelta(seconds=30),
    "retry_policy": RETRY,
}
