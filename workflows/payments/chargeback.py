"""One workflow per PSP chargeback: into dispute clearing, then the controller accepts or contests it, and a
contested one waits for the provider's ruling (won or lost)."""

from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.payments import PaymentActivities
    from activities.tasks import TaskActivities
    from models.contracts.payments import ChargebackInput, ChargebackRecorded, SettleChargeback
    from models.contracts.tasks import DecisionRequest, DecisionResult, TaskSpec
    from rules.chargebacks import DISPUTE_OPTIONS, RULING_OPTIONS
    from workflows import retry
    from workflows import search_attributes as sa
    from workflows.inbox import OpenTask, TaskBook, close_decided, decided

WORKFLOW_TYPE = "Chargeback"
DISPUTE_KIND = "chargeback_dispute"
RULING_KIND = "chargeback_ruling"
ROLE = "controller"
_ACT: dict[str, Any] = {"start_to_close_timeout": timedelta(seconds=30), "retry_policy": retry.TRANSIENT}


@workflow.defn(name=WORKFLOW_TYPE)
class ChargebackWorkflow:
    """Workflow id `Chargeback-{channel}-{chargeback id}`, so a chargeback reported twice is posted once."""

    @workflow.init
    def __init__(self, inp: ChargebackInput) -> None:
        self.inp = inp
        self.book = TaskBook()
        self.recorded: ChargebackRecorded | None = None
        self.stage = "recording"

    @workflow.run
    async def run(self, inp: ChargebackInput) -> str:
        """Record, then wait until accepted, or contested and ruled on; returns the final stage."""
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("psp_chargeback"),
                sa.DOCUMENT_NUMBER.value_set(inp.chargeback_ref),
                sa.code_or(sa.ENTITY, str(inp.entity_id)),
            ]
        )
        self.recorded = await workflow.execute_activity_method(
            PaymentActivities.record_chargeback, inp, **_ACT
        )
        await self._ask(DISPUTE_KIND, DISPUTE_OPTIONS, "accept it as a loss or contest it")
        self.stage = "disputed"
        await workflow.wait_condition(lambda: self.stage != "disputed")
        if self.stage == "contested":
            await self._ask(RULING_KIND, RULING_OPTIONS, "contested: record the provider's ruling")
            await workflow.wait_condition(lambda: self.stage != "contested")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.stage

    async def _ask(self, kind: str, options: list[str], what: str) -> None:
        inp = self.inp
        opened = await workflow.execute_activity_method(
            TaskActivities.open_task,
            TaskSpec(
                task_key=f"chargeback:{inp.workflow_id}:{kind}",
                kind=kind,
                workflow_id=inp.workflow_id,
                workflow_type=WORKFLOW_TYPE,
                subject_type="psp_chargeback",
                subject_id=inp.chargeback_ref,
                entity_id=inp.entity_id,
                title=f"Chargeback {inp.chargeback_ref} of {inp.amount} {inp.currency} on order"
                f" {inp.order_number} ({inp.reason}): {what}",
                candidate_role=ROLE,
                options=options,
                details={
                    "order_number": inp.order_number,
                    "amount": str(inp.amount),
                    "currency": inp.currency,
                    "reason": inp.reason,
                },
            ),
            **_ACT,
        )
        self.book.add(OpenTask(task_id=opened.task_id, kind=kind, options=options, candidate_role=ROLE))
        workflow.set_current_details(f"Chargeback {inp.chargeback_ref}: {what} ({ROLE})")

    @workflow.update
    async def recorded_chargeback(self) -> ChargebackRecorded:
        """Read-only: the chargeback once recorded (the API answers the import with it)."""
        await workflow.wait_condition(lambda: self.recorded is not None)
        assert self.recorded is not None
        return self.recorded

    @workflow.update
    async def decide(self, req: DecisionRequest) -> DecisionResult:
        """Accept (a loss) or contest; a contested chargeback is won (money back) or lost (a loss)."""
        await self.book.seen(req.task_id)
        task, acting_for = self.book.authorize(req)
        assert self.recorded is not None
        self.book.pop(task.task_id)  # a second decision sent meanwhile finds the task gone
        await workflow.execute_activity_method(
            PaymentActivities.settle_chargeback,
            SettleChargeback(
                chargeback_id=self.recorded.chargeback_id,
                decision=req.decision,
                actor=req.actor,
                on=workflow.now().date(),
            ),
            **_ACT,
        )
        await close_decided(self.book, task, req, acting_for, **_ACT)
        self.stage = {"accept": "accepted", "contest": "contested"}.get(req.decision, req.decision)
        return decided(task, req, acting_for, self.stage)

    @decide.validator
    def _check_decide(self, req: DecisionRequest) -> None:
        if self.book.not_yet_seen(req.task_id):
            return  # possibly a task being opened: the handler checks it once it is in the book
        self.book.authorize(req)
