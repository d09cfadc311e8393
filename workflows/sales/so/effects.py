"""How a sales order acts on the world: activities (local ones for its database steps), its inbox tasks,
a stuck step parked on an admin, and its stage on show."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.sales import SalesActivities
    from models.contracts.sales import OrderStatus, Stage, StageUpdate
    from workflows import retry
    from workflows import search_attributes as sa
    from workflows.attention import Attention, Subject
    from workflows.inbox import TaskBook
    from workflows.sales.so.facts import LOCAL_DB_STEPS, WORKFLOW_TYPE, OrderFacts
    from workflows.sla import SlaWatch

ACT: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": retry.TRANSIENT,
}
A = TypeVar("A")
R = TypeVar("R")
# A failing local step retries inside the worker only briefly; longer back-offs become durable timers, so the
# retry budget (retry.TRANSIENT) is the same as an activity's and no workflow task stays open meanwhile.
_LOCAL_RETRY_THRESHOLD = timedelta(seconds=1)
_LOCAL: frozenset[Callable[..., Any]] = frozenset(
    {
        SalesActivities.persist_order,
        SalesActivities.set_stage,
        SalesActivities.update_line,
        SalesActivities.release,
        SalesActivities.backorder,
        SalesActivities.write_off_loss,
    }
)


def activity_name(fn: Callable[..., Any]) -> str:
    """The activity type a method reference runs as (a stuck step's admin task names it)."""
    return str(getattr(fn, "__temporal_activity_definition").name)


class Effects:
    """The order's side effects and the bookkeeping that goes with them (open tasks, stage shown)."""

    def __init__(self, facts: OrderFacts) -> None:
        order = facts.order
        self.facts = facts
        self.book = TaskBook()
        self.sla = SlaWatch({})
        self.attention = Attention(
            Subject(
                workflow_type=WORKFLOW_TYPE,
                subject_type="sales_order",
                subject_id=order.order_number,
                entity_id=order.entity_id,
                label=f"Order {order.order_number}",
                key=f"order:{order.order_number}",
            ),
            self.show_attention,
        )

    # ---- activities ----------------------------------------------------------------------------

    async def act(self, fn: Callable[[Any, A], R], arg: A, *, refuse_data: bool = False) -> R:
        """Run an activity; a step failing for good parks the order on an admin task."""

        def call() -> Awaitable[R]:
            if fn in _LOCAL and workflow.patched(LOCAL_DB_STEPS):
                return workflow.execute_local_activity_method(
                    fn, arg, local_retry_threshold=_LOCAL_RETRY_THRESHOLD, **ACT
                )
            return workflow.execute_activity_method(fn, arg, **ACT)

        return await self.attention.guarded(activity_name(fn), call, refuse_data=refuse_data)

    async def run_inbox(self, fn: Callable[[Any, A], R], arg: A) -> R:
        """An inbox activity (reminders, escalations), parked on an admin task if it fails for good."""

        async def call() -> R:
            result: R = await workflow.execute_activity_method(fn, arg, **ACT)
            return result

        return await self.attention.guarded(getattr(fn, "__qualname__", "activity"), call)

    # ---- the stage on show ---------------------------------------------------------------------

    async def sync_stage(self) -> None:
        """Derive the stage; persist it when it changed and show it (unless a stuck step is on show)."""
        facts = self.facts
        stage, pending = facts.derive(bool(self.book.tasks))
        changed = stage != facts.stage
        facts.stage, facts.pending_on = stage, pending
        if self.attention.parked:
            return  # shown and recorded when the stuck step moves again
        self.upsert_attributes()
        if changed:
            await self.act(
                SalesActivities.set_stage, StageUpdate(order_number=facts.order.order_number, stage=stage)
            )

    def upsert_attributes(self, stuck: str | None = None) -> None:
        """Search attributes and current details: stage, what it waits on, each line's progress."""
        facts = self.facts
        order = facts.order
        stage, pending = ("needs_attention", "admin") if stuck else (facts.stage, facts.pending_on)
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("sales_order"),
                sa.DOCUMENT_NUMBER.value_set(order.order_number),
                sa.code_or(sa.ENTITY, str(order.entity_id)),
                sa.CHANNEL.value_set(order.channel_code),
                sa.STAGE.value_set(stage),
                sa.PENDING_ON.value_set(pending[:100]),
                sa.AMOUNT.value_set(float(facts.total_due())),
            ]
        )
        lines = ", ".join(
            f"{ls.line.sku} {ls.shipped}/{ls.line.qty} shipped"
            + (f", {ls.backordered} backordered until {ls.promised}" if ls.backordered else "")
            for ls in facts.lines.values()
        )
        workflow.set_current_details(
            f"Order {order.order_number} ({order.channel_code}, {order.channel_kind}): {stage}, "
            f"waiting on {pending}. Lines: {lines}." + (f" {stuck}" if stuck else "")
        )

    async def show_attention(self, stuck: str | None) -> None:
        """A step is stuck (why) or moves again (None): ErpStage, details and the order row show it."""
        self.upsert_attributes(stuck)
        stage: Stage = "needs_attention" if stuck else self.facts.stage
        await workflow.execute_activity_method(
            SalesActivities.set_stage,
            StageUpdate(order_number=self.facts.order.order_number, stage=stage),
            start_to_close_timeout=ACT["start_to_close_timeout"],
            retry_policy=retry.UNTIL_DONE,
        )

    def status(self) -> OrderStatus:
        """Stage, what the order waits on, and each line's progress (a stuck step shows as needs_attention)."""
        facts = self.facts
        parked = self.attention.parked
        return OrderStatus(
            order_number=facts.order.order_number,
            stage="needs_attention" if parked else facts.stage,
            pending_on="admin" if parked else facts.pending_on,
            paid=facts.paid,
            lines=[ls.status() for ls in facts.lines.values()],
            open_tasks=sorted([*self.book.tasks, *self.attention.book.tasks]),
        )
