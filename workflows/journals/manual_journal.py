"""One workflow per manual journal: a controller who is not the maker approves it, then it posts; an
optional durable timer posts the reversal on its date (in the next open period when that one is closed)."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.journals import JournalActivities
    from activities.tasks import TaskActivities
    from models.contracts.errors import FORBIDDEN, INVALID
    from models.contracts.journals import JournalInput, JournalOutcome, JournalPosted, JournalStep
    from models.contracts.tasks import DecisionRequest, DecisionResult, TaskOpened, TaskSpec
    from rules.errors import RuleViolation
    from rules.journals import check_maker_is_not_checker
    from workflows import retry
    from workflows import search_attributes as sa
    from workflows.inbox import OpenTask, TaskBook, close_decided, decided, refusal

WORKFLOW_TYPE = "ManualJournal"
APPROVAL = "journal_approval"
APPROVER_ROLE = "controller"
OPTIONS = ["approve", "reject"]
_ACT: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": retry.TRANSIENT,
}


@workflow.defn(name=WORKFLOW_TYPE)
class ManualJournalWorkflow:
    """Workflow id `ManualJournal-{entity_id}-{number}`: persist, approval task, post, reversal timer."""

    @workflow.init
    def __init__(self, inp: JournalInput) -> None:
        self._inp = inp
        self._book = TaskBook()
        # The task row is in the inbox a moment before the activity returns: decisions wait for it.
        self._opening = True
        self._decision: str | None = None
        self._posted: JournalPosted | None = None

    @workflow.run
    async def run(self, inp: JournalInput) -> JournalOutcome:
        """Rejected, posted, or posted and reversed."""
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("manual_journal"),
                sa.DOCUMENT_NUMBER.value_set(inp.number),
                sa.code_or(sa.ENTITY, str(inp.entity_id)),
                sa.STAGE.value_set("approval"),
                sa.PENDING_ON.value_set(APPROVER_ROLE),
            ]
        )
        workflow.set_current_details(f"Journal {inp.number}: waiting on {APPROVER_ROLE} to approve")
        await self._open_approval(inp)
        self._opening = False
        await workflow.wait_condition(lambda: self._decision is not None)
        if self._posted is None:
            return await self._end(JournalOutcome(number=inp.number, stage="rejected"))
        outcome = JournalOutcome(number=inp.number, stage="posted", entry_id=self._posted.entry_id)
        if inp.reversal_date is None:
            return await self._end(outcome)
        return await self._end(await self._reverse_on(inp.reversal_date, inp, outcome))

    async def _open_approval(self, inp: JournalInput) -> None:
        """Persist the journal and open the controller's approval task."""
        await workflow.execute_activity_method(JournalActivities.persist, inp, **_ACT)
        opened: TaskOpened = await workflow.execute_activity_method(
            TaskActivities.open_task,
            TaskSpec(
                task_key=f"mj:{inp.number}:approval",
                kind=APPROVAL,
                workflow_id=workflow.info().workflow_id,
                workflow_type=WORKFLOW_TYPE,
                subject_type="manual_journal",
                subject_id=inp.number,
                entity_id=inp.entity_id,
                title=f"Approve manual journal {inp.number} dated {inp.posting_date}: {inp.memo}"[:200],
                candidate_role=APPROVER_ROLE,
                requested_by=inp.maker,
                options=OPTIONS,
                details={
                    "maker": inp.maker,
                    "currency": inp.currency,
                    "posting_date": inp.posting_date.isoformat(),
                    "reversal_date": inp.reversal_date.isoformat() if inp.reversal_date else None,
                    "lines": [line.model_dump(mode="json") for line in inp.lines],
                },
            ),
            **_ACT,
        )
        self._book.add(
            OpenTask(
                task_id=opened.task_id,
                kind=APPROVAL,
                options=OPTIONS,
                candidate_role=APPROVER_ROLE,
                requested_by=inp.maker,
            )
        )

    async def _reverse_on(self, on: date, inp: JournalInput, outcome: JournalOutcome) -> JournalOutcome:
        """Wait for the reversal date on a durable timer, then post the reversal."""
        sa.show_stage("awaiting_reversal", "timer", f"Journal {inp.number}: posted; reverses on {on}")
        # Midnight UTC of the reversal date: a durable timer, so a worker restart does not lose it.
        due = datetime.combine(on, time(), UTC)
        if due > workflow.now():
            await workflow.sleep(due - workflow.now())
        reversed_ = await workflow.execute_activity_method(
            JournalActivities.reverse, JournalStep(number=inp.number, actor="system"), **_ACT
        )
        return outcome.model_copy(
            update={
                "stage": "reversed" if reversed_.entry_id is not None else "reversal_blocked",
                "reversal_entry_id": reversed_.entry_id,
                "reversal_posted_on": reversed_.posting_date,
            }
        )

    async def _end(self, outcome: JournalOutcome) -> JournalOutcome:
        sa.show_stage(outcome.stage, "nothing", f"Journal {outcome.number}: {outcome.stage}")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return outcome

    def _authorize(self, req: DecisionRequest) -> tuple[OpenTask, str | None]:
        task, acting_for = self._book.authorize(req)
        if req.decision == "approve":
            try:
                check_maker_is_not_checker(self._inp.maker, req.actor, acting_for)
            except RuleViolation as exc:
                raise refusal(FORBIDDEN, str(exc)) from None
        return task, acting_for

    @workflow.update
    async def decide(self, req: DecisionRequest) -> DecisionResult:
        """`approve` posts the journal (a closed period refuses it and the task stays open); `reject` ends it."""
        await workflow.wait_condition(lambda: not self._opening)
        task, acting_for = self._authorize(req)
        # Taken off the book while it is being decided: a second decision arriving meanwhile is refused.
        self._book.pop(task.task_id)
        step = JournalStep(number=self._inp.number, actor=req.actor, comment=req.comment)
        if req.decision == "approve":
            try:
                posted = await workflow.execute_activity_method(JournalActivities.post, step, **_ACT)
            except ActivityError as exc:
                self._book.add(task)  # not posted: the task waits for another decision
                cause = exc.cause
                if isinstance(cause, ApplicationError) and cause.non_retryable:
                    raise refusal(cause.type or INVALID, cause.message) from exc
                raise
        else:
            await workflow.execute_activity_method(JournalActivities.reject, step, **_ACT)
        await close_decided(self._book, task, req, acting_for, **_ACT)
        if req.decision == "approve":
            self._posted = posted
        self._decision = req.decision
        return decided(task, req, acting_for, "posted" if req.decision == "approve" else "rejected")

    @decide.validator
    def _check_decide(self, req: DecisionRequest) -> None:
        if not self._opening:
            self._authorize(req)
