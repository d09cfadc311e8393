"""One workflow per imported bank statement: match and post it, then a person decides each unmatched line."""

from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.payments import PaymentActivities
    from activities.tasks import TaskActivities
    from models.contracts.payments import ResolveLine, StatementImported, StatementInput
    from models.contracts.tasks import DecisionRequest, DecisionResult, TaskClose, TaskSpec
    from workflows import retry
    from workflows import search_attributes as sa
    from workflows.inbox import OpenTask, TaskBook

WORKFLOW_TYPE = "BankStatement"
TASK_KIND = "bank_line_unmatched"
ROLE = "controller"
OPTIONS = ["charge", "interest", "dismiss"]
_ACT: dict[str, Any] = {"start_to_close_timeout": timedelta(seconds=30), "retry_policy": retry.TRANSIENT}


@workflow.defn(name=WORKFLOW_TYPE)
class BankStatementWorkflow:
    """Workflow id `BankStatement-{entity}-{statement id}`, so a statement imported twice is posted once."""

    @workflow.init
    def __init__(self, inp: StatementInput) -> None:
        self.result: StatementImported | None = None
        self.book = TaskBook()
        self.task_lines: dict[int, int] = {}

    @workflow.run
    async def run(self, inp: StatementInput) -> StatementImported:
        """Import, open a task per unmatched line, end when every one is decided."""
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("bank_statement"),
                sa.DOCUMENT_NUMBER.value_set(inp.statement_ref),
                sa.ENTITY.value_set(str(inp.entity_id)),
            ]
        )
        imported = await workflow.execute_activity_method(PaymentActivities.import_statement, inp, **_ACT)
        for line in imported.unmatched:
            opened = await workflow.execute_activity_method(
                TaskActivities.open_task,
                TaskSpec(
                    task_key=f"bank:{imported.statement_id}:line:{line.line_no}:unmatched",
                    kind=TASK_KIND,
                    workflow_id=inp.workflow_id,
                    workflow_type=WORKFLOW_TYPE,
                    subject_type="bank_statement",
                    subject_id=inp.statement_ref,
                    entity_id=inp.entity_id,
                    title=f"Statement {inp.statement_ref} line {line.line_no}: {line.amount} {line.currency}"
                    " matches nothing",
                    candidate_role=ROLE,
                    options=OPTIONS,
                    details={"line_no": line.line_no, "reason": line.reason},
                ),
                **_ACT,
            )
            self.book.add(
                OpenTask(task_id=opened.task_id, kind=TASK_KIND, options=OPTIONS, candidate_role=ROLE)
            )
            self.task_lines[opened.task_id] = line.line_no
        self.result = imported.model_copy(update={"open_tasks": sorted(self.book.tasks)})
        await workflow.wait_condition(lambda: not self.book.tasks and workflow.all_handlers_finished())
        return self.result

    @workflow.update
    async def imported(self) -> StatementImported:
        """Read-only: the statement once imported (the API answers the import with it)."""
        await workflow.wait_condition(lambda: self.result is not None)
        assert self.result is not None
        return self.result

    @workflow.update
    async def decide(self, req: DecisionRequest) -> DecisionResult:
        """Book the line as a bank charge or interest, or dismiss it (a person found it elsewhere)."""
        task, acting_for = self.book.authorize(req)
        assert self.result is not None
        self.book.pop(task.task_id)
        await workflow.execute_activity_method(
            PaymentActivities.resolve_line,
            ResolveLine(
                statement_id=self.result.statement_id,
                line_no=self.task_lines[task.task_id],
                decision=req.decision,
                actor=req.actor,
            ),
            **_ACT,
        )
        await workflow.execute_activity_method(
            TaskActivities.close_task,
            TaskClose(
                task_id=task.task_id,
                status="decided",
                decision=req.decision,
                decided_by=req.actor,
                acting_for=acting_for,
                comment=req.comment,
            ),
            **_ACT,
        )
        self.result = self.result.model_copy(update={"open_tasks": sorted(self.book.tasks)})
        return DecisionResult(
            task_id=task.task_id,
            decision=req.decision,
            decided_by=req.actor,
            acting_for=acting_for,
            stage="exception" if self.book.tasks else "posted",
        )

    @decide.validator
    def _check_decide(self, req: DecisionRequest) -> None:
        self.book.authorize(req)
