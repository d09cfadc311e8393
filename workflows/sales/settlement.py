"""One marketplace payout report: match lines to orders and post them; a person resolves unmatched lines."""

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.sales import SalesActivities
    from activities.tasks import TaskActivities
    from models.contracts.decisions import MatchPayload
    from models.contracts.errors import INVALID
    from models.contracts.sales import (
        SettlementInput,
        SettlementLineResult,
        SettlementMatch,
        SettlementResult,
    )
    from models.contracts.tasks import DecisionRequest, DecisionResult, TaskOpened, TaskSpec
    from workflows import retry
    from workflows import search_attributes as sa
    from workflows.inbox import OpenTask, TaskBook, close_decided, decided, parse_payload, refusal

WORKFLOW_TYPE = "MarketplaceSettlement"
_ACT: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": retry.TRANSIENT,
}
_OPTIONS = ["match", "dismiss"]
# Receivables belong to the controller's team (there is no separate AR clerk role).
_AR_ROLE = "controller"
# Lines checked against the open receivable that a person must decide (a task each, since this patch).
DIFFERENCE_TASKS = "settlement-difference-tasks"
_DIFFERENCES = ("difference", "already_settled")


def _title(line: SettlementLineResult) -> str:
    if line.status == "unmatched":
        return f"Payout line {line.line_no} ({line.external_id}) matches no shipped order"
    if line.status == "already_settled":
        return f"Payout line {line.line_no}: order {line.order_number} was settled already"
    return (
        f"Payout line {line.line_no}: order {line.order_number} owes {line.open_receivable},"
        f" the payout differs by {line.difference}"
    )


def _details(line: SettlementLineResult) -> dict[str, Any]:
    details: dict[str, Any] = {"line_no": line.line_no, "external_id": line.external_id}
    if line.status != "unmatched":
        details |= {
            "order_number": line.order_number,
            "open_receivable": None if line.open_receivable is None else str(line.open_receivable),
            "difference": None if line.difference is None else str(line.difference),
        }
    return details


@workflow.defn(name=WORKFLOW_TYPE)
class SettlementWorkflow:
    """Workflow id `Settlement-{channel}-{reference}`, so a report sent twice is posted once."""

    @workflow.init
    def __init__(self, report: SettlementInput) -> None:
        self._report = report
        self._result: SettlementResult | None = None
        self._tasks = TaskBook()
        self._task_lines: dict[int, int] = {}

    @workflow.run
    async def run(self, report: SettlementInput) -> SettlementResult:
        """Match and post, open a task per unmatched line, finish when every task is decided."""
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("marketplace_settlement"),
                sa.DOCUMENT_NUMBER.value_set(report.reference),
                sa.code_or(sa.ENTITY, str(report.entity_id)),
                sa.CHANNEL.value_set(report.channel_code),
                sa.STAGE.value_set("matching"),
            ]
        )
        result: SettlementResult = await workflow.execute_activity_method(
            SalesActivities.settle, report, **_ACT
        )
        for line in result.lines:
            if line.status == "unmatched":
                await self._open_task(result.settlement_id, line, "settlement_unmatched", _OPTIONS)
            elif line.status in _DIFFERENCES and workflow.patched(DIFFERENCE_TASKS):
                options = ["accept", "dismiss"] if (line.difference or 0) < 0 else ["dismiss"]
                await self._open_task(result.settlement_id, line, "settlement_difference", options)
        self._result = result.model_copy(update={"open_tasks": sorted(self._tasks.tasks)})
        self._stage("exception" if self._tasks.tasks else "posted")
        await workflow.wait_condition(lambda: not self._tasks.tasks and workflow.all_handlers_finished())
        self._stage("posted")
        return self._result

    async def _open_task(
        self, settlement_id: int, line: SettlementLineResult, kind: str, options: list[str]
    ) -> None:
        """One task per line a person must decide (unmatched, a difference, or an order settled already)."""
        report = self._report
        suffix = "unmatched" if kind == "settlement_unmatched" else line.status
        opened: TaskOpened = await workflow.execute_activity_method(
            TaskActivities.open_task,
            TaskSpec(
                task_key=f"settlement:{settlement_id}:line:{line.line_no}:{suffix}",
                kind=kind,
                workflow_id=workflow.info().workflow_id,
                workflow_type=WORKFLOW_TYPE,
                subject_type="marketplace_settlement",
                subject_id=report.reference,
                entity_id=report.entity_id,
                title=_title(line),
                candidate_role=_AR_ROLE,
                options=options,
                details=_details(line),
            ),
            **_ACT,
        )
        self._tasks.add(OpenTask(task_id=opened.task_id, kind=kind, options=options, candidate_role=_AR_ROLE))
        self._task_lines[opened.task_id] = line.line_no

    def _stage(self, stage: str) -> None:
        result = self._result
        sa.show_stage(
            stage,
            _AR_ROLE if self._tasks.tasks else "nothing",
            f"Settlement: {stage}; {len(result.lines) if result else 0} lines,"
            f" {len(self._tasks.tasks)} waiting on {_AR_ROLE}",
        )

    @workflow.update
    async def matched(self) -> SettlementResult:
        """The report as matched and posted (waits for the first pass)."""
        await workflow.wait_condition(lambda: self._result is not None)
        assert self._result is not None
        return self._result

    @workflow.query
    def status(self) -> SettlementResult | None:
        """The report's lines and open tasks."""
        return self._result

    @workflow.update
    async def decide(self, req: DecisionRequest) -> DecisionResult:
        """Match an unmatched line to an order (payload external_id) and post it, or dismiss it."""
        await self._tasks.seen(req.task_id)
        self._check_decide(req)  # again: the validator let a task being opened through unchecked
        task, acting_for = self._tasks.authorize(req)
        assert self._result is not None
        line_no = self._task_lines[task.task_id]
        reported = next(ln for ln in self._result.lines if ln.line_no == line_no)
        ask = SettlementMatch(
            settlement_id=self._result.settlement_id,
            line_no=line_no,
            external_id=parse_payload(MatchPayload, req.payload).external_id
            if req.decision == "match"
            else reported.external_id
            if req.decision == "accept"
            else str(req.payload.get("external_id") or ""),
            accept_difference=req.decision == "accept",
        )
        if req.decision in ("match", "accept"):
            try:
                done: SettlementLineResult = await workflow.execute_activity_method(
                    SalesActivities.match_settlement_line, ask, **_ACT
                )
            except ActivityError as exc:
                cause = exc.cause
                raise refusal(
                    INVALID, cause.message if isinstance(cause, ApplicationError) else str(exc)
                ) from exc
        else:
            await workflow.execute_activity_method(SalesActivities.dismiss_settlement_line, ask, **_ACT)
            done = SettlementLineResult(line_no=line_no, external_id=ask.external_id, status="dismissed")
        await close_decided(self._tasks, task, req, acting_for, **_ACT)
        lines = [done if ln.line_no == line_no else ln for ln in self._result.lines]
        self._result = self._result.model_copy(
            update={"lines": lines, "open_tasks": sorted(self._tasks.tasks)}
        )
        return decided(task, req, acting_for, "exception" if self._tasks.tasks else "posted")

    @decide.validator
    def _check_decide(self, req: DecisionRequest) -> None:
        if self._tasks.not_yet_seen(req.task_id):
            return  # possibly a task being opened: the handler checks it once it is in the book
        self._tasks.authorize(req)
        if req.decision == "match":
            parse_payload(MatchPayload, req.payload)
