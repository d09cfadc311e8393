"""The worker's log interceptor: a line per activity start, finish and failure, and per workflow decision.

Every line carries workflow id, run id and workflow type, and the document and actor when the argument
names them (erp/log_fields.py); with ERP_LOG_JSON=1 they are JSON fields. Workflow-side lines go through
`workflow.logger`, which stays silent while a worker replays history, so a restart does not repeat them."""

import asyncio
import contextlib
import logging
import time
from typing import Any, NoReturn

from temporalio import activity, workflow
from temporalio.worker import (
    ActivityInboundInterceptor,
    ContinueAsNewInput,
    ExecuteActivityInput,
    ExecuteWorkflowInput,
    HandleSignalInput,
    HandleUpdateInput,
    Interceptor,
    StartActivityInput,
    StartChildWorkflowInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from erp.log_fields import actor_of, document_of, known
from workflows import search_attributes as sa

log = logging.getLogger("erp.activity")


class LogInterceptor(Interceptor):
    """Structured lines for activities (worker side) and workflow decisions (replay-safe)."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        """Wrap each activity execution."""
        return _ActivityLog(next)

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        """Wrap each workflow."""
        return _WorkflowLog


class _ActivityLog(ActivityInboundInterceptor):
    """Start, finish (with duration) and failure (with error) of every activity attempt."""

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        """Run the activity between its two log lines."""
        info = activity.info()
        fields = known(
            workflow_id=info.workflow_id,
            run_id=info.workflow_run_id,
            workflow_type=info.workflow_type,
            activity=info.activity_type,
            attempt=info.attempt,
            document=document_of(input.args),
            actor=actor_of(input.args),
        )
        log.info("activity %s started", info.activity_type, extra={"event": "activity_started", **fields})
        began = time.monotonic()
        try:
            result = await self.next.execute_activity(input)
        except BaseException as exc:
            log.warning(
                "activity %s failed: %s",
                info.activity_type,
                exc,
                extra={
                    "event": "activity_failed",
                    "error_type": type(exc).__name__,
                    "error": str(exc)[:500],
                    "duration_ms": round((time.monotonic() - began) * 1000, 1),
                    **fields,
                },
            )
            raise
        log.info(
            "activity %s finished",
            info.activity_type,
            extra={
                "event": "activity_finished",
                "duration_ms": round((time.monotonic() - began) * 1000, 1),
                **fields,
            },
        )
        return result


def _decision(event: str, message: str, level: int = logging.INFO, **fields: Any) -> None:
    """One workflow-side line with the workflow's identity and its document (search attribute)."""
    info = workflow.info()
    document = fields.pop("document", None) or info.typed_search_attributes.get(sa.DOCUMENT_NUMBER)
    with contextlib.suppress(Exception):  # a log line must never fail a workflow task
        workflow.logger.log(
            level,
            message,
            extra=known(
                event=event,
                workflow_id=info.workflow_id,
                run_id=info.run_id,
                workflow_type=info.workflow_type,
                document=document,
                **fields,
            ),
        )


class _WorkflowLog(WorkflowInboundInterceptor):
    """Start, end, and every signal and update a workflow handles."""

    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        """Wrap the outbound side too (activities and children the workflow starts)."""
        super().init(_WorkflowOutboundLog(outbound))

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        """Log the start and how the run ended."""
        _decision(
            "workflow_started",
            "workflow started",
            document=document_of(input.args),
            actor=actor_of(input.args),
        )
        try:
            result = await super().execute_workflow(input)
        except asyncio.CancelledError:
            _decision("workflow_cancelled", "workflow cancelled")
            raise
        except GeneratorExit:
            raise  # the worker evicted the run from its cache (outside the workflow's loop): not an ending
        except BaseException as exc:
            _decision(
                "workflow_ended",
                f"workflow ended with {type(exc).__name__}",
                logging.WARNING,
                error=str(exc)[:500],
            )
            raise
        _decision("workflow_completed", "workflow completed")
        return result

    async def handle_signal(self, input: HandleSignalInput) -> None:
        """Log a signal before it is handled."""
        _decision("signal", f"signal {input.signal}", signal=input.signal, actor=actor_of(input.args))
        await super().handle_signal(input)

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        """Log an accepted update and whether it was applied or refused."""
        fields = known(update=input.update, update_id=input.id, actor=actor_of(input.args))
        _decision("update", f"update {input.update}", **fields)
        try:
            result = await super().handle_update_handler(input)
        except BaseException as exc:
            _decision(
                "update_refused", f"update {input.update} refused: {exc}", error=str(exc)[:500], **fields
            )
            raise
        _decision("update_applied", f"update {input.update} applied", **fields)
        return result


class _WorkflowOutboundLog(WorkflowOutboundInterceptor):
    """The commands a workflow decides on: an activity to run, a child to start, a new run."""

    def start_activity(self, input: StartActivityInput) -> workflow.ActivityHandle[Any]:
        """Log the activity the workflow schedules."""
        _decision("activity_scheduled", f"schedule {input.activity}", activity=input.activity)
        return super().start_activity(input)

    async def start_child_workflow(
        self, input: StartChildWorkflowInput
    ) -> workflow.ChildWorkflowHandle[Any, Any]:
        """Log the child workflow the workflow starts."""
        _decision("child_started", f"start {input.workflow} {input.id}", child=input.id)
        return await super().start_child_workflow(input)

    def continue_as_new(self, input: ContinueAsNewInput) -> NoReturn:
        """Log a continue-as-new."""
        _decision("continued_as_new", "continue as new")
        super().continue_as_new(input)
