"""One workflow per cycle count: a count task for the warehouse; the submitted counts post adjustments."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.replenishment import ReplenishmentActivities
    from activities.tasks import TaskActivities
    from models.contracts.decisions import CountsPayload
    from models.contracts.errors import INVALID
    from models.contracts.replenishment import CountInput, CountPost, CountResult
    from models.contracts.tasks import DecisionRequest, DecisionResult, TaskOpened, TaskSpec
    from workflows import retry
    from workflows import search_attributes as sa
    from workflows.inbox import OpenTask, TaskBook, close_decided, decided, parse_payload, refusal

WORKFLOW_TYPE = "CycleCount"
COUNT = "cycle_count"
COUNT_OPTIONS = ["submit", "cancel"]
_ACT: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": retry.TRANSIENT,
}


def parse_counts(payload: dict[str, Any], item_ids: list[int]) -> dict[int, Decimal]:
    """`{"counts": {"<item_id>": "<qty>"}}` for exactly the items of the count, each a quantity >= 0."""
    if not isinstance(payload.get("counts"), dict):
        raise refusal(INVALID, 'payload.counts: give {"<item_id>": quantity} for every item counted')
    # Types and bounds (a quantity >= 0 with at most 4 places, fitting the stock columns).
    counts = dict(parse_payload(CountsPayload, payload).counts)
    if sorted(counts) != sorted(item_ids):
        raise refusal(INVALID, f"payload.counts: count exactly the items {sorted(item_ids)}")
    return counts


@workflow.defn(name=WORKFLOW_TYPE)
class CycleCountWorkflow:
    """Workflow id `CC-{number}`: open the count task, post the counts (or cancel), close."""

    @workflow.init
    def __init__(self, inp: CountInput) -> None:
        self._inp = inp
        self._book = TaskBook()
        self._result: CountResult | None = None
        self._cancelled_by: str | None = None
        # The task row is in the inbox a moment before the activity returns: decisions wait for it.
        self._opening = True

    @workflow.run
    async def run(self, inp: CountInput) -> CountResult | None:
        """The posted count, or None when it was cancelled."""
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("cycle_count"),
                sa.DOCUMENT_NUMBER.value_set(inp.number),
                sa.code_or(sa.ENTITY, str(inp.entity_id)),
                sa.STAGE.value_set("counting"),
                sa.PENDING_ON.value_set(inp.counter_role),
            ]
        )
        workflow.set_current_details(f"Count {inp.number}: waiting on {inp.counter_role} to count")
        await workflow.execute_activity_method(ReplenishmentActivities.persist_count, inp, **_ACT)
        opened: TaskOpened = await workflow.execute_activity_method(
            TaskActivities.open_task,
            TaskSpec(
                task_key=f"cc:{inp.number}:count",
                kind=COUNT,
                workflow_id=workflow.info().workflow_id,
                workflow_type=WORKFLOW_TYPE,
                subject_type="cycle_count",
                subject_id=inp.number,
                entity_id=inp.entity_id,
                title=f"Count {len(inp.item_ids)} item(s) at location {inp.location_id}",
                candidate_role=inp.counter_role,
                options=COUNT_OPTIONS,
                details={"location_id": inp.location_id, "item_ids": inp.item_ids},
            ),
            **_ACT,
        )
        self._book.add(
            OpenTask(
                task_id=opened.task_id, kind=COUNT, options=COUNT_OPTIONS, candidate_role=inp.counter_role
            )
        )
        self._opening = False
        await workflow.wait_condition(lambda: self._result is not None or self._cancelled_by is not None)
        if self._cancelled_by is not None:
            await workflow.execute_activity_method(ReplenishmentActivities.cancel_count, inp, **_ACT)
        stage = "posted" if self._result is not None else "cancelled"
        sa.show_stage(stage, "nothing", f"Count {inp.number}: {stage}")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._result

    @workflow.update
    async def decide(self, req: DecisionRequest) -> DecisionResult:
        """`submit` with the counted quantities posts the differences; `cancel` drops the count."""
        await workflow.wait_condition(lambda: not self._opening)
        task, acting_for = self._book.authorize(req)
        if req.decision == "submit":
            post = CountPost(
                number=self._inp.number,
                counted_by=req.actor,
                counted_on=workflow.now().date(),
                counts=parse_counts(req.payload, self._inp.item_ids),
            )
            try:
                result = await workflow.execute_activity_method(
                    ReplenishmentActivities.post_count, post, **_ACT
                )
            except ActivityError as exc:
                cause = exc.cause
                if isinstance(cause, ApplicationError) and cause.non_retryable:
                    raise refusal(cause.type or INVALID, cause.message) from exc
                raise
        await close_decided(self._book, task, req, acting_for, **_ACT)
        if req.decision == "submit":
            self._result = result
        else:
            self._cancelled_by = req.actor
        return decided(task, req, acting_for, "posted" if req.decision == "submit" else "cancelled")

    @decide.validator
    def _check_decide(self, req: DecisionRequest) -> None:
        if not self._opening:
            self._book.authorize(req)
        if req.decision == "submit":
            parse_counts(req.payload, self._inp.item_ids)
