"""How a return acts on the world: activities, its inbox tasks, a stuck step parked on an admin, and its
stage on show (search attributes, current details, the row GET /returns reads)."""

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from activities.returns import ReturnsActivities
    from activities.tasks import TaskActivities
    from models.contracts.returns import ReturnLineStatus, ReturnStage, ReturnStatus, StageUpdate
    from models.contracts.tasks import TaskClose
    from workflows import retry
    from workflows import search_attributes as sa
    from workflows.attention import NEEDS_ATTENTION, Attention, Subject
    from workflows.inbox import TaskBook
    from workflows.returns.rma.facts import WORKFLOW_TYPE, ZERO, ReturnFacts
    from workflows.sla import SlaWatch
    from workflows.sla import Subject as SlaSubject

ACT: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": retry.TRANSIENT,
}
A = TypeVar("A")
R = TypeVar("R")


class Effects:
    """The return's side effects and the bookkeeping that goes with them (open tasks, stage shown)."""

    def __init__(self, facts: ReturnFacts) -> None:
        rma = facts.rma
        self.facts = facts
        self.book = TaskBook()
        self.sla = SlaWatch({})
        self.subject = SlaSubject("return", rma.rma_number, rma.entity_id)
        self.attention = Attention(
            Subject(
                workflow_type=WORKFLOW_TYPE,
                subject_type="return",
                subject_id=rma.rma_number,
                entity_id=rma.entity_id,
                label=f"Return {rma.rma_number}",
                key=f"return:{rma.rma_number}",
            ),
            self.show_attention,
        )

    # ----- activities -----

    async def act(self, fn: Callable[[Any, A], R], arg: A) -> R:
        """Run an activity (bounded transient retries); a step failing for good parks the return on an admin task."""

        async def call() -> R:
            result: R = await workflow.execute_activity_method(fn, arg, **ACT)
            return result

        return await self.attention.guarded(getattr(fn, "__qualname__", "activity"), call)

    async def close_tasks(self, actor: str, reason: str) -> None:
        """Cancel every open task in id order."""
        for task_id in sorted(self.book.tasks):
            self.book.pop(task_id)
            await workflow.execute_activity_method(
                TaskActivities.close_task,
                TaskClose(task_id=task_id, status="cancelled", decided_by=actor, comment=reason),
                **ACT,
            )

    # ----- the stage on show -----

    async def to(self, stage: ReturnStage, pending: str, **extra: Any) -> None:
        """Move to a stage: search attributes, details, and the row GET /returns reads."""
        facts = self.facts
        facts.stage, facts.pending_on = stage, pending
        if self.attention.parked:
            # The facts (approver, due date, reason) are recorded now; the stage when the stuck step moves.
            stage, pending = NEEDS_ATTENTION, "admin"
        else:
            self.upsert_attributes()
        await self.act(
            ReturnsActivities.set_stage,
            StageUpdate(rma_number=facts.rma.rma_number, stage=stage, pending_on=pending, **extra),
        )

    async def show_attention(self, stuck: str | None) -> None:
        """A step is stuck (why) or moves again (None): ErpStage, details and the return row show it."""
        self.upsert_attributes(stuck)
        stage: ReturnStage = NEEDS_ATTENTION if stuck else self.facts.stage
        pending = "admin" if stuck else self.facts.pending_on
        await workflow.execute_activity_method(
            ReturnsActivities.set_stage,
            StageUpdate(rma_number=self.facts.rma.rma_number, stage=stage, pending_on=pending),
            start_to_close_timeout=ACT["start_to_close_timeout"],
            retry_policy=retry.UNTIL_DONE,
        )

    def upsert_attributes(self, stuck: str | None = None) -> None:
        """Search attributes and current details: stage, what it waits on, each line's progress."""
        facts = self.facts
        rma = facts.rma
        stage, pending = (NEEDS_ATTENTION, "admin") if stuck else (facts.stage, facts.pending_on)
        attrs: list[SearchAttributeUpdate[Any]] = [
            sa.DOCUMENT_TYPE.value_set("return"),
            sa.DOCUMENT_NUMBER.value_set(rma.rma_number),
            sa.code_or(sa.ENTITY, str(rma.entity_id)),
            sa.CHANNEL.value_set(rma.channel_code),
            sa.STAGE.value_set(stage),
            sa.PENDING_ON.value_set(pending[:100]),
            sa.AMOUNT.value_set(float(rma.value)),
        ]
        if facts.goods_due is not None:
            attrs.append(sa.DUE_DATE.value_set(datetime.combine(facts.goods_due, time(0), tzinfo=UTC)))
        workflow.upsert_search_attributes(attrs)
        lines = ", ".join(
            f"{ln.sku} {facts.received.get(ln.line_no, ZERO)}/{ln.qty} back ({ln.reason_code})"
            for ln in rma.lines
        )
        refund = f" Refund {facts.refund.total} ({facts.refund.method})." if facts.refund else ""
        workflow.set_current_details(
            f"Return {rma.rma_number} of order {rma.order_number} ({rma.channel_code}): {stage}, "
            f"waiting on {pending}. Lines: {lines}.{refund}" + (f" {stuck}" if stuck else "")
        )

    def status(self) -> ReturnStatus:
        """Stage, what the return waits on, and each line's progress (a stuck step shows as needs_attention)."""
        facts = self.facts
        rma = facts.rma
        parked = self.attention.parked
        return ReturnStatus(
            rma_number=rma.rma_number,
            order_number=rma.order_number,
            stage=NEEDS_ATTENTION if parked else facts.stage,
            pending_on="admin" if parked else facts.pending_on,
            value=rma.value,
            approved_by=facts.approved_by,
            refunded=facts.refund.total if facts.refund else ZERO,
            credit_note_number=facts.refund.credit_note_number if facts.refund else None,
            exchange_order_number=facts.exchange_order,
            lines=[
                ReturnLineStatus(
                    line_no=ln.line_no,
                    order_line_no=ln.order_line_no,
                    sku=ln.sku,
                    qty=ln.qty,
                    reason_code=ln.reason_code,
                    received=facts.received.get(ln.line_no, ZERO),
                    dispositions=facts.dispositions.get(ln.line_no, []),
                )
                for ln in rma.lines
            ],
            open_tasks=sorted([*self.book.tasks, *self.attention.book.tasks]),
        )
