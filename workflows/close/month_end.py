"""Month-end close of one entity's period: cut-off, accruals, reconciliations, FX, TB, sign-off, lock, statements."""

from collections.abc import Callable
from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.close import CloseActivities
    from models.contracts.close import (
        BeginClose,
        CloseContext,
        CloseInput,
        CloseResult,
        DifferenceOut,
        EntityInfo,
        EntityRef,
        FinishClose,
        NextRound,
        ReconResult,
        SignOffView,
        SignOffWait,
        StepInput,
        StepResult,
    )
    from models.contracts.summaries import summary_of
    from models.contracts.tasks import DecisionRequest, DecisionResult
    from rules.periods import period_of, previous_period
    from workflows import search_attributes as sa
    from workflows.close.calendar import local_date
    from workflows.close.options import ACT, HEAVY, WORKFLOW_TYPE
    from workflows.close.signoff import CONTROLLER, SignOffStage
    from workflows.inbox import close_decided, decided


def close_workflow_id(entity_code: str, period: str) -> str:
    """One close per entity and period."""
    return f"Close-{entity_code}-{period}"


@workflow.defn(name=WORKFLOW_TYPE)
class MonthEndCloseWorkflow:
    """Workflow id `Close-{entity}-{period}`; a run with no period closes the previous one (schedules)."""

    @workflow.init
    def __init__(self, inp: CloseInput) -> None:
        self._inp = inp
        self._stage = "starting"
        self._signoff = SignOffStage()  # built before the first message arrives

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
            **ACT,
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
                CloseActivities.next_round, NextRound(run_id=ctx.run_id, round=round_no), **ACT
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
                signed_off_by=self._signoff.approved_by,
            ),
            **HEAVY,
        )
        self._set_stage("closed")
        return result

    async def _close_previous_period(self, inp: CloseInput) -> CloseResult:
        """Work out the period from the (nominal) start time in the entity's zone and run that close."""
        entity: EntityInfo = await workflow.execute_activity_method(
            CloseActivities.resolve_entity,
            EntityRef(entity_code=inp.entity_code),
            **ACT,
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
        return await workflow.execute_activity_method(activity, self._step_input(ctx, round_no, seq), **HEAVY)

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
            CloseActivities.reconcile, self._step_input(ctx, round_no, 3), **HEAVY
        )
        differences = [await self._signoff.route_difference(ctx, round_no, d) for d in recon.differences]
        await self._step(CloseActivities.fx_revalue, ctx, round_no, 4, "fx_revaluation")
        tb = await self._step(CloseActivities.trial_balance, ctx, round_no, 5, "trial_balance")
        if not tb.details.get("balanced"):
            raise ApplicationError(
                f"the trial balance of {ctx.period} does not balance: {tb.details}", non_retryable=True
            )
        return differences

    async def _sign_off(self, ctx: CloseContext, round_no: int, differences: list[DifferenceOut]) -> bool:
        """Open the sign-off task showing every difference; True when approved, False when sent back."""
        opened_at = await self._signoff.open(ctx, round_no, differences)
        self._set_stage("sign_off")
        approved = await self._signoff.wait(ctx, round_no)
        await self._signoff.record(ctx, round_no, opened_at, approved, differences)
        return approved

    def _set_stage(self, stage: str) -> None:
        self._stage = stage
        pending = CONTROLLER if stage == "sign_off" else "nothing"
        sa.show_stage(
            stage,
            pending,
            f"Close {self._inp.entity_code} {self._inp.period}: {stage}, waiting on {pending};"
            f" round {self._signoff.round}, {len(self._signoff.tasks.tasks)} open tasks",
        )

    @workflow.query
    def stage(self) -> str:
        """The checklist step the close is at."""
        return self._stage

    @workflow.update
    async def sign_off_ready(self, req: SignOffWait) -> SignOffView:
        """Answer once the close waits for sign-off in the given round (or has closed), with its open tasks."""
        signoff = self._signoff
        await workflow.wait_condition(
            lambda: (signoff.awaiting and signoff.round >= req.round) or self._stage == "closed"
        )
        return SignOffView(stage=self._stage, round=signoff.round, tasks=signoff.open_tasks())

    @workflow.update
    async def decide(self, req: DecisionRequest) -> DecisionResult:
        """Accept a difference (with a reason), approve the close, or send it back for another round."""
        signoff = self._signoff
        # The inbox shows a task as soon as its row is written; wait until this workflow has it too.
        await signoff.tasks.seen(req.task_id)
        signoff.check_decision(req)  # the validator let a task being opened through unchecked
        task, acting_for = signoff.tasks.authorize(req)
        await close_decided(self._signoff.tasks, task, req, acting_for, **ACT)
        self._signoff.decided(task, req)
        return decided(task, req, acting_for, self._stage)

    @decide.validator
    def _check_decide(self, req: DecisionRequest) -> None:
        self._signoff.check_decision(req)


__all__ = ["MonthEndCloseWorkflow", "close_workflow_id"]
