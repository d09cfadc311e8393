"""A day's replenishment of one entity: plan, start procure-to-pay for drafts within budget, and let a
buyer review the drafts over budget before their POs start."""

import contextlib
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.replenishment import ReplenishmentActivities
    from activities.tasks import TaskActivities
    from models.contracts.replenishment import (
        DraftPo,
        DraftStatus,
        EntityDay,
        PlanRequest,
        ReplenishmentResult,
        ReplenishmentRunInput,
        RunPlan,
    )
    from models.contracts.summaries import summary_of
    from models.contracts.tasks import DecisionRequest, DecisionResult, TaskOpened, TaskSpec
    from workflows import retry
    from workflows import search_attributes as sa
    from workflows.close.calendar import local_date
    from workflows.inbox import OpenTask, TaskBook, close_decided, decided
    from workflows.purchasing.purchase_order import PurchaseOrderWorkflow
    from workflows.sla import SlaWatch, Subject, wait_with_sla

WORKFLOW_TYPE = "ReplenishmentRun"
A = TypeVar("A")
R = TypeVar("R")
REVIEW = "replenishment_review"
REVIEW_OPTIONS = ["approve", "reject"]
_RETRY = retry.transient("RuleViolation", "NotFound", "Conflict")
_ACT: dict[str, Any] = {"start_to_close_timeout": timedelta(seconds=30), "retry_policy": _RETRY}
# Planning aggregates the entity's sales history: room for a large assortment.
_PLAN: dict[str, Any] = {"start_to_close_timeout": timedelta(minutes=15), "retry_policy": _RETRY}


def run_workflow_id(entity_code: str, run_date: str) -> str:
    """One run per entity and day."""
    return f"Replenish-{entity_code}-{run_date}"


@workflow.defn(name=WORKFLOW_TYPE)
class ReplenishmentRunWorkflow:
    """Workflow id `Replenish-{entity}-{date}`; a run without a date (the schedule's) runs the fire day."""

    @workflow.init
    def __init__(self, inp: ReplenishmentRunInput) -> None:
        self._inp = inp
        self._book = TaskBook()
        self._drafts: dict[int, DraftPo] = {}
        self._decided: dict[int, DecisionRequest] = {}
        self._stage = "planning"
        self._sla = SlaWatch({})
        # Review tasks are in the inbox a moment before their activity returns: decisions wait for them.
        self._opening = 0

    @workflow.run
    async def run(self, inp: ReplenishmentRunInput) -> ReplenishmentResult:
        """Plan, start POs within budget, wait for the buyer on the rest; returns the POs started."""
        if inp.run_date is None:
            return await self._launch(inp)
        plan: RunPlan = await workflow.execute_activity_method(
            ReplenishmentActivities.plan,
            PlanRequest(
                entity_code=inp.entity_code, run_date=inp.run_date, workflow_id=workflow.info().workflow_id
            ),
            **_PLAN,
        )
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("replenishment_run"),
                sa.DOCUMENT_NUMBER.value_set(f"{plan.entity_code}-{plan.run_date}"),
                sa.ENTITY.value_set(plan.entity_code),
                sa.AMOUNT.value_set(float(sum((d.total_func for d in plan.drafts), Decimal(0)))),
            ]
        )
        result = ReplenishmentResult(entity_code=plan.entity_code, run_date=plan.run_date, status="done")
        for draft in plan.drafts:
            if draft.status == "planned":
                result.started.append(await self._start_po(plan, draft))
            elif draft.status == "started":
                result.started.append(draft.po.number)
            elif draft.status == "rejected":
                result.rejected.append(draft.po.number)
            else:
                await self._open_review(plan, draft)
        self._set_stage("buyer_review" if self._book.tasks else "done")
        subject = Subject("replenishment_run", str(plan.run_id), plan.entity_id)
        while self._drafts:  # drafts leave only when the main line has acted on their decision
            # Reviews nobody decides remind and escalate on their service level meanwhile.
            await wait_with_sla(lambda: bool(self._decided), self._sla, self._book, subject, self._run)
            task_id = min(self._decided)
            req = self._decided.pop(task_id)
            draft = self._drafts.pop(task_id)
            if req.decision == "approve":
                result.started.append(await self._start_po(plan, draft, decided_by=req.actor))
            else:
                result.rejected.append(draft.po.number)
                await self._status(plan, draft, "rejected", decided_by=req.actor)
        self._set_stage("done")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return result

    async def _launch(self, inp: ReplenishmentRunInput) -> ReplenishmentResult:
        """Work out the day from the (nominal) fire time in the entity's zone and run it as a child."""
        entity: EntityDay = await workflow.execute_activity_method(
            ReplenishmentActivities.resolve_entity, inp, **_ACT
        )
        nominal = sa.scheduled_or_now()
        day = local_date(nominal, entity.time_zone)
        try:
            # The run carries the business id; it outlives this launcher (buyer reviews may take days).
            run = inp.model_copy(update={"run_date": day})
            return await workflow.execute_child_workflow(
                ReplenishmentRunWorkflow.run,
                run,
                id=run_workflow_id(entity.entity_code, day.isoformat()),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                static_summary=summary_of(run),
            )
        except WorkflowAlreadyStartedError:
            return ReplenishmentResult(entity_code=entity.entity_code, run_date=day, status="already_running")

    async def _start_po(self, plan: RunPlan, draft: DraftPo, decided_by: str | None = None) -> str:
        """Hand the draft to procure-to-pay: the PO workflow approves, issues, receives and pays it."""
        # A re-run of the day finds this PO on its way already.
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await workflow.start_child_workflow(
                PurchaseOrderWorkflow.run,
                draft.po,
                id=draft.po.workflow_id,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                static_summary=summary_of(draft.po),
            )
        await self._status(plan, draft, "started", decided_by=decided_by)
        return draft.po.number

    async def _status(self, plan: RunPlan, draft: DraftPo, status: str, **kw: Any) -> None:
        await workflow.execute_activity_method(
            ReplenishmentActivities.set_draft_status,
            DraftStatus(run_id=plan.run_id, po_number=draft.po.number, status=status, **kw),
            **_ACT,
        )

    async def _open_review(self, plan: RunPlan, draft: DraftPo) -> None:
        """A buyer task for a draft over its category budget."""
        over = [b for b in draft.budget if b.over]
        self._opening += 1
        opened: TaskOpened = await workflow.execute_activity_method(
            TaskActivities.open_task,
            TaskSpec(
                task_key=f"replenish:{plan.run_id}:po:{draft.po.number}:review",
                kind=REVIEW,
                workflow_id=workflow.info().workflow_id,
                workflow_type=WORKFLOW_TYPE,
                subject_type="replenishment_draft",
                subject_id=draft.po.number,
                entity_id=plan.entity_id,
                title=f"Replenishment PO {draft.po.number} ({draft.total_func:.2f}) is over the "
                + ", ".join(b.category for b in over)
                + " budget",
                candidate_role=plan.buyer_role,
                options=REVIEW_OPTIONS,
                details={
                    "supplier_id": draft.supplier_id,
                    "total_func": str(draft.total_func),
                    "budget": [b.model_dump(mode="json") for b in draft.budget],
                    "lines": [ln.model_dump(mode="json") for ln in draft.po.lines],
                },
            ),
            **_ACT,
        )
        self._book.add(
            OpenTask(
                task_id=opened.task_id, kind=REVIEW, options=REVIEW_OPTIONS, candidate_role=plan.buyer_role
            )
        )
        self._drafts[opened.task_id] = draft
        self._sla.watch_opened(opened.task_id, REVIEW, plan.buyer_role, opened.sla)
        self._opening -= 1
        await self._status(plan, draft, "awaiting_buyer", task_id=opened.task_id)

    async def _run(self, fn: Callable[[Any, A], R], arg: A) -> R:
        """An inbox activity (reminders, escalations) on the run's retry policy."""
        result: R = await workflow.execute_activity_method(fn, arg, **_ACT)
        return result

    def _set_stage(self, stage: str) -> None:
        self._stage = stage
        pending = "buyer" if stage == "buyer_review" else "nothing"
        sa.show_stage(
            stage,
            pending,
            f"Replenishment {self._inp.entity_code} {self._inp.run_date}: {stage}, waiting on {pending};"
            f" {len(self._book.tasks)} drafts to review",
        )

    @workflow.query
    def stage(self) -> str:
        """planning, buyer_review or done."""
        return self._stage

    @workflow.update
    async def decide(self, req: DecisionRequest) -> DecisionResult:
        """A buyer approves (the PO starts and goes through its approvals) or rejects an over-budget draft."""
        await workflow.wait_condition(lambda: self._opening == 0)
        task, acting_for = self._book.authorize(req)
        await close_decided(self._book, task, req, acting_for, **_ACT)
        self._decided[task.task_id] = req
        return decided(task, req, acting_for, self._stage)

    @decide.validator
    def _check_decide(self, req: DecisionRequest) -> None:
        if not (self._opening and req.task_id not in self._book.tasks):
            self._book.authorize(req)


__all__ = ["ReplenishmentRunWorkflow", "run_workflow_id"]
