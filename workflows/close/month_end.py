"""Month-end close of one entity's period: cut-off, accruals, reconciliations, FX, TB, sign-off, lock, statements."""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.close import CloseActivities
    from activities.tasks import TaskActivities
    from models.contracts.close import (
        BeginClose,
        CloseContext,
        CloseInput,
        CloseResult,
        DifferenceOut,
        DifferenceTask,
        EntityInfo,
        EntityRef,
        FinishClose,
        NextRound,
        OpenTaskView,
        ReconResult,
        RecordStep,
        SignOffView,
        SignOffWait,
        StepInput,
        StepResult,
    )
    from models.contracts.errors import CONFLICT, INVALID
    from models.contracts.summaries import summary_of
    from models.contracts.tasks import DecisionRequest, DecisionResult, TaskClose, TaskOpened, TaskSpec
    from rules.periods import period_of, previous_period
    from workflows import retry
    from workflows import search_attributes as sa
    from workflows.close.calendar import local_date
    from workflows.inbox import OpenTask, TaskBook, close_decided, refusal
    from workflows.sla import SlaWatch, Subject, wait_with_sla

WORKFLOW_TYPE = "MonthEndClose"
A = TypeVar("A")
R = TypeVar("R")
CONTROLLER = "controller"
SIGNOFF = "close_signoff"
DIFFERENCE = "close_difference"
SIGNOFF_OPTIONS = ["approve", "send_back"]
DIFFERENCE_OPTIONS = ["accept", "send_back"]
_RETRY = retry.transient("RuleViolation", "PeriodClosed", "NotFound", "Conflict")
_ACT: dict[str, Any] = {"start_to_close_timeout": timedelta(seconds=60), "retry_policy": _RETRY}
# Reconciliations and statements aggregate the whole ledger: give them room on a large book.
_HEAVY: dict[str, Any] = {"start_to_close_timeout": timedelta(minutes=15), "retry_policy": _RETRY}


def close_workflow_id(entity_code: str, period: str) -> str:
    """One close per entity and period."""
    return f"Close-{entity_code}-{period}"


def _controller_task(
    ctx: CloseContext, key: str, kind: str, title: str, options: list[str], details: dict[str, Any]
) -> TaskSpec:
    """A task of this close for the controllers, keyed within the entity's period."""
    return TaskSpec(
        task_key=f"close:{ctx.entity_code}:{ctx.period}:{key}",
        kind=kind,
        workflow_id=workflow.info().workflow_id,
        workflow_type=WORKFLOW_TYPE,
        subject_type="period_close",
        subject_id=f"{ctx.entity_code}-{ctx.period}",
        entity_id=ctx.entity_id,
        title=title,
        candidate_role=CONTROLLER,
        options=options,
        details=details,
    )


@workflow.defn(name=WORKFLOW_TYPE)
class MonthEndCloseWorkflow:
    """Workflow id `Close-{entity}-{period}`; a run with no period closes the previous one (schedules)."""

    @workflow.init
    def __init__(self, inp: CloseInput) -> None:
        self._inp = inp
        self._tasks = TaskBook()
        self._stage = "starting"
        self._approved_by: str | None = None
        self._sent_back_by: str | None = None
        self._accepted: dict[str, str] = {}
        self._task_checks: dict[int, str] = {}
        self._round = 0
        self._awaiting = False
        self._sla = SlaWatch({})

    @workflow.run
    async def run(self, inp: CloseInput) -> CloseResult:
        """Run every checklist step; loop back from sign-off when the controller sends the close back."""
        if inp.period is None:
            return await self._close_previous_period(inp)
        started = workflow.now()
        ctx: CloseContext = await workflow.execute_activity_method(
            CloseActivities.begin,
            BeginClose(
                entity_code=inp.entity_code,
                period=inp.period,
                workflow_id=workflow.info().workflow_id,
                trigger=inp.trigger,
                started_at=started,
            ),
            **_ACT,
        )
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("period_close"),
                sa.DOCUMENT_NUMBER.value_set(f"{ctx.entity_code}-{ctx.period}"),
                sa.ENTITY.value_set(ctx.entity_code),
            ]
        )
        if ctx.finished is not None:
            # A re-run of a closed period changes nothing and answers with the stored result.
            self._set_stage("closed")
            return ctx.finished
        round_no = ctx.round
        await self._step(CloseActivities.soft_close, ctx, round_no, 1, "soft_close")
        while True:
            differences = await self._checks(ctx, round_no)
            if await self._sign_off(ctx, round_no, differences):
                break
            round_no += 1
            await workflow.execute_activity_method(
                CloseActivities.next_round, NextRound(run_id=ctx.run_id, round=round_no), **_ACT
            )
        await self._step(CloseActivities.hard_close, ctx, round_no, 7, "hard_close")
        self._set_stage("statements")
        duration = Decimal(str((workflow.now() - started).total_seconds()))
        result: CloseResult = await workflow.execute_activity_method(
            CloseActivities.statements,
            FinishClose(
                run_id=ctx.run_id,
                entity_id=ctx.entity_id,
                entity_code=ctx.entity_code,
                period=ctx.period,
                round=round_no,
                seq=8,
                started_at=workflow.now(),
                duration_seconds=duration,
                signed_off_by=self._approved_by,
            ),
            **_HEAVY,
        )
        self._set_stage("closed")
        return result

    async def _close_previous_period(self, inp: CloseInput) -> CloseResult:
        """Work out the period from the (nominal) start time in the entity's zone and run that close."""
        entity: EntityInfo = await workflow.execute_activity_method(
            CloseActivities.resolve_entity,
            EntityRef(entity_code=inp.entity_code),
            **_ACT,
        )
        nominal = sa.scheduled_or_now()
        local_day = local_date(nominal, entity.time_zone)
        period = previous_period(period_of(local_day))
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("period_close"),
                sa.DOCUMENT_NUMBER.value_set(f"{entity.entity_code}-{period}"),
                sa.ENTITY.value_set(entity.entity_code),
                sa.STAGE.value_set("launch"),
            ]
        )
        workflow.set_current_details(f"Starts the close of {entity.entity_code} {period}")
        try:
            # The close itself carries the business id; it outlives this launcher if the launcher is stopped.
            close = inp.model_copy(update={"period": period})
            child: CloseResult = await workflow.execute_child_workflow(
                MonthEndCloseWorkflow.run,
                close,
                id=close_workflow_id(entity.entity_code, period),
                parent_close_policy=ParentClosePolicy.ABANDON,
                static_summary=summary_of(close),
            )
        except WorkflowAlreadyStartedError:
            return CloseResult(
                run_id=None, entity_code=entity.entity_code, period=period, status="already_running"
            )
        return child

    async def _step(
        self,
        activity: Callable[[CloseActivities, StepInput], StepResult],
        ctx: CloseContext,
        round_no: int,
        seq: int,
        stage: str,
    ) -> StepResult:
        self._set_stage(stage)
        return await workflow.execute_activity_method(
            activity, self._step_input(ctx, round_no, seq), **_HEAVY
        )

    def _step_input(self, ctx: CloseContext, round_no: int, seq: int) -> StepInput:
        return StepInput(
            run_id=ctx.run_id,
            entity_id=ctx.entity_id,
            entity_code=ctx.entity_code,
            period=ctx.period,
            round=round_no,
            seq=seq,
            started_at=workflow.now(),
        )

    async def _checks(self, ctx: CloseContext, round_no: int) -> list[DifferenceOut]:
        """Accruals, reconciliations (a task per difference), FX revaluation, trial balance."""
        await self._step(CloseActivities.accruals, ctx, round_no, 2, "accruals")
        self._set_stage("reconciliations")
        recon: ReconResult = await workflow.execute_activity_method(
            CloseActivities.reconcile, self._step_input(ctx, round_no, 3), **_HEAVY
        )
        differences = [await self._route_difference(ctx, round_no, d) for d in recon.differences]
        await self._step(CloseActivities.fx_revalue, ctx, round_no, 4, "fx_revaluation")
        tb = await self._step(CloseActivities.trial_balance, ctx, round_no, 5, "trial_balance")
        if not tb.details.get("balanced"):
            raise ApplicationError(
                f"the trial balance of {ctx.period} does not balance: {tb.details}", non_retryable=True
            )
        return differences

    async def _route_difference(self, ctx: CloseContext, round_no: int, diff: DifferenceOut) -> DifferenceOut:
        """A difference never passes silently: it becomes a controller task listing its documents."""
        opened: TaskOpened = await workflow.execute_activity_method(
            TaskActivities.open_task,
            _controller_task(
                ctx,
                f"r{round_no}:diff:{diff.check_name}",
                DIFFERENCE,
                f"{ctx.period}: {diff.check_name} differs by {diff.difference:.2f} {ctx.currency}",
                DIFFERENCE_OPTIONS,
                diff.model_dump(mode="json"),
            ),
            **_ACT,
        )
        self._tasks.add(
            OpenTask(
                task_id=opened.task_id, kind=DIFFERENCE, options=DIFFERENCE_OPTIONS, candidate_role=CONTROLLER
            )
        )
        self._sla.watch_opened(opened.task_id, DIFFERENCE, CONTROLLER, opened.sla)
        self._task_checks[opened.task_id] = diff.check_name
        await workflow.execute_activity_method(
            CloseActivities.link_difference_task,
            DifferenceTask(
                run_id=ctx.run_id, round=round_no, check_name=diff.check_name, task_id=opened.task_id
            ),
            **_ACT,
        )
        return diff.model_copy(update={"task_id": opened.task_id})

    async def _sign_off(self, ctx: CloseContext, round_no: int, differences: list[DifferenceOut]) -> bool:
        """Open the sign-off task showing every difference; True when approved, False when sent back."""
        self._approved_by = self._sent_back_by = None
        self._accepted = {}
        opened_at = workflow.now()
        await self._open_signoff_task(ctx, round_no, differences)
        self._set_stage("sign_off")
        self._round, self._awaiting = round_no, True
        # Differences and the sign-off remind (and escalate, if the entity names a role) on their service level.
        await wait_with_sla(
            lambda: self._approved_by is not None or self._sent_back_by is not None,
            self._sla,
            self._tasks,
            Subject("period_close", f"{ctx.entity_code}-{ctx.period}", ctx.entity_id),
            self._run,
        )
        self._awaiting = False
        approved = self._approved_by is not None
        for task in list(self._tasks.tasks.values()):
            # Tasks of a round sent back are moot: the next round opens fresh ones.
            self._tasks.pop(task.task_id)
            await workflow.execute_activity_method(
                TaskActivities.close_task,
                TaskClose(task_id=task.task_id, status="cancelled", decided_by=self._sent_back_by),
                **_ACT,
            )
        await self._record_signoff(ctx, round_no, opened_at, approved, differences)
        return approved

    async def _open_signoff_task(
        self, ctx: CloseContext, round_no: int, differences: list[DifferenceOut]
    ) -> None:
        """The controller's sign-off task of this round, listing every difference."""
        opened: TaskOpened = await workflow.execute_activity_method(
            TaskActivities.open_task,
            _controller_task(
                ctx,
                f"r{round_no}:signoff",
                SIGNOFF,
                f"Sign off the {ctx.period} close of {ctx.entity_code}"
                + (f" ({len(differences)} reconciliation differences)" if differences else ""),
                SIGNOFF_OPTIONS,
                {"round": round_no, "differences": [d.model_dump(mode="json") for d in differences]},
            ),
            **_ACT,
        )
        self._tasks.add(
            OpenTask(task_id=opened.task_id, kind=SIGNOFF, options=SIGNOFF_OPTIONS, candidate_role=CONTROLLER)
        )
        self._sla.watch_opened(opened.task_id, SIGNOFF, CONTROLLER, opened.sla)

    async def _record_signoff(
        self,
        ctx: CloseContext,
        round_no: int,
        opened_at: datetime,
        approved: bool,
        differences: list[DifferenceOut],
    ) -> None:
        """The sign-off step of the run: who decided, and the differences they accepted."""
        await workflow.execute_activity_method(
            CloseActivities.record_step,
            RecordStep(
                run_id=ctx.run_id,
                round=round_no,
                seq=6,
                step="sign_off",
                started_at=opened_at,
                finished_at=workflow.now(),
                outcome="approved" if approved else "sent_back",
                details={
                    "by": self._approved_by or self._sent_back_by,
                    "accepted_differences": self._accepted,
                    "differences": [d.model_dump(mode="json") for d in differences],
                },
            ),
            **_ACT,
        )

    async def _run(self, fn: Callable[[Any, A], R], arg: A) -> R:
        """An inbox activity on the close's retry policy (reminders and escalations)."""
        result: R = await workflow.execute_activity_method(fn, arg, **_ACT)
        return result

    def _set_stage(self, stage: str) -> None:
        self._stage = stage
        pending = CONTROLLER if stage == "sign_off" else "nothing"
        workflow.upsert_search_attributes([sa.STAGE.value_set(stage), sa.PENDING_ON.value_set(pending)])
        workflow.set_current_details(
            f"Close {self._inp.entity_code} {self._inp.period}: {stage}, waiting on {pending};"
            f" round {self._round}, {len(self._tasks.tasks)} open tasks"
        )

    @workflow.query
    def stage(self) -> str:
        """The checklist step the close is at."""
        return self._stage

    @workflow.update
    async def sign_off_ready(self, req: SignOffWait) -> SignOffView:
        """Answer once the close waits for sign-off in the given round (or has closed), with its open tasks."""
        await workflow.wait_condition(
            lambda: (self._awaiting and self._round >= req.round) or self._stage == "closed"
        )
        tasks = [
            OpenTaskView(task_id=t.task_id, kind=t.kind, check_name=self._task_checks.get(t.task_id))
            for t in sorted(self._tasks.tasks.values(), key=lambda t: t.task_id)
        ]
        return SignOffView(stage=self._stage, round=self._round, tasks=tasks)

    @workflow.update
    async def decide(self, req: DecisionRequest) -> DecisionResult:
        """Accept a difference (with a reason), approve the close, or send it back for another round."""
        task, acting_for = self._tasks.authorize(req)
        await close_decided(self._tasks, task, req, acting_for, **_ACT)
        if req.decision == "send_back":
            self._sent_back_by = req.actor
        elif task.kind == SIGNOFF:
            self._approved_by = req.actor
        else:
            self._accepted[self._task_checks[task.task_id]] = req.comment or ""
        return DecisionResult(
            task_id=task.task_id,
            decision=req.decision,
            decided_by=req.actor,
            acting_for=acting_for,
            stage=self._stage,
        )

    @decide.validator
    def _check_decide(self, req: DecisionRequest) -> None:
        task, _ = self._tasks.authorize(req)
        open_diffs = self._tasks.of_kind(DIFFERENCE)
        if task.kind == SIGNOFF and req.decision == "approve" and open_diffs:
            raise refusal(CONFLICT, f"decide the {len(open_diffs)} open reconciliation difference(s) first")
        if task.kind == DIFFERENCE and req.decision == "accept" and not (req.comment or "").strip():
            raise refusal(INVALID, "comment: say why the difference is accepted")


__all__ = ["MonthEndCloseWorkflow", "close_workflow_id"]
