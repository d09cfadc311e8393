"""How a purchase order acts on the world: activities, inbox tasks, inbound notices, its stage on show."""

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.inbound import InboundActivities
    from activities.purchasing import PurchasingActivities
    from activities.tasks import TaskActivities
    from models.contracts.errors import DATA, INVALID
    from models.contracts.inbound import InboundLine, InboundNotice
    from models.contracts.purchasing import CloseRequest, StageChange
    from models.contracts.tasks import AuditRecord, TaskClose, TaskSpec
    from workflows import retry
    from workflows import search_attributes as sa
    from workflows.attention import NEEDS_ATTENTION, Attention, Subject
    from workflows.inbox import OpenTask, TaskBook, refusal
    from workflows.purchasing.po.facts import STAGE_BEFORE_RECORD, TASK_SLA, WORKFLOW_TYPE, PoFacts
    from workflows.sla import SlaWatch, apply_due
    from workflows.sla import Subject as SlaSubject

A = TypeVar("A")
R = TypeVar("R")


class Effects:
    """The PO's side effects and the bookkeeping that goes with them (open tasks, stage shown, wake-up)."""

    def __init__(self, facts: PoFacts, refresh: Callable[[], Awaitable[None]]) -> None:
        po = facts.po
        self.facts = facts
        self.refresh_stage = refresh  # derives the stage after issue from every stage's state
        self.book = TaskBook()
        # Tasks being opened: their row is visible in the inbox a moment before the activity returns.
        self.opening = 0
        self.dirty = False  # a message changed something the main loop waits on
        self.stage_seq = 0
        self.sla = SlaWatch.of(po.policy.task_slas)
        self.subject = SlaSubject("purchase_order", po.number, po.entity_id)
        self.attention = Attention(
            Subject(
                workflow_type=WORKFLOW_TYPE,
                subject_type="purchase_order",
                subject_id=po.number,
                entity_id=po.entity_id,
                label=f"PO {po.number}",
                key=f"po:{po.number}",
            ),
            self.show_attention,
        )

    # ---- activities ----------------------------------------------------------------------------

    async def act(self, fn: Callable[[Any, A], R], arg: A, *, refuse_data: bool = False) -> R:
        """Run an activity (bounded transient retries); a step failing for good parks the PO on an admin task."""

        async def call() -> R:
            # Each activity is one short transaction: 10 s bounds how long a crashed worker delays a retry.
            result: R = await workflow.execute_activity_method(
                fn, arg, start_to_close_timeout=timedelta(seconds=10), retry_policy=retry.TRANSIENT
            )
            return result

        step = getattr(fn, "__qualname__", "activity")
        return await self.attention.guarded(step, call, refuse_data=refuse_data)

    async def act_or_refuse(self, fn: Callable[[Any, A], R], arg: A) -> R:
        """An activity checking an update's input: a refusal or bad data fails the update, not the workflow."""
        try:
            return await self.act(fn, arg, refuse_data=True)
        except ActivityError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and cause.non_retryable:
                kind = INVALID if cause.type == DATA else cause.type or INVALID
                raise refusal(kind, cause.message) from exc
            raise

    async def notify(self, kind: str, expected: date | None, lines: list[InboundLine]) -> None:
        """Tell workflows waiting on this stock (backordered orders) what changed."""
        if not lines:
            return
        notice = InboundNotice(kind=kind, po_number=self.facts.po.number, expected_date=expected, lines=lines)
        await self.attention.guarded(
            "inbound.notify",
            lambda: workflow.execute_activity_method(
                InboundActivities.notify,
                notice,
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=retry.TRANSIENT,
            ),
        )

    async def audit(self, key: str, action: str, after: dict[str, Any]) -> None:
        """Record a system audit event on the PO."""
        po = self.facts.po
        await self.act(
            TaskActivities.record_audit,
            AuditRecord(
                idempotency_key=key,
                actor="system",
                action=action,
                subject_type="purchase_order",
                subject_id=po.number,
                entity_id=po.entity_id,
                after=after,
            ),
        )

    # ---- inbox tasks ---------------------------------------------------------------------------

    def spec(
        self,
        key: str,
        kind: str,
        title: str,
        options: list[str],
        *,
        role: str | None = None,
        user: str | None = None,
        due: datetime | None = None,
        details: dict[str, Any] | None = None,
    ) -> TaskSpec:
        """A task on this PO for a role or a user."""
        po = self.facts.po
        return TaskSpec(
            task_key=key,
            kind=kind,
            workflow_id=workflow.info().workflow_id,
            workflow_type=WORKFLOW_TYPE,
            subject_type="purchase_order",
            subject_id=po.number,
            entity_id=po.entity_id,
            title=title,
            candidate_role=role,
            candidate_user=user,
            requested_by=po.requested_by,
            due_at=due,
            options=options,
            details=details or {},
        )

    async def open(self, spec: TaskSpec, revision: int | None = None) -> OpenTask:
        """Open a task and remember it in the book."""
        self.opening += 1
        try:
            opened = await self.act(TaskActivities.open_task, spec)
        finally:
            self.opening -= 1
        task = OpenTask(
            task_id=opened.task_id,
            kind=spec.kind,
            options=list(spec.options),
            candidate_role=spec.candidate_role,
            candidate_user=spec.candidate_user,
            requested_by=spec.requested_by,
            revision=revision,
        )
        self.book.add(task)
        if spec.kind in self.sla.slas and workflow.patched(TASK_SLA):
            self.sla.watch(task.task_id, spec.kind, spec.candidate_role, workflow.now())
        return task

    async def close_tasks(self) -> None:
        """Cancel every task still open in the book (the inbox stops showing them)."""
        for task_id in sorted(self.book.tasks):
            self.book.pop(task_id)
            await self.act(TaskActivities.close_task, TaskClose(task_id=task_id, status="cancelled"))

    async def apply_sla_dues(self, now: datetime) -> None:
        """Remind or escalate the tasks whose service level is due."""
        for due in self.sla.due(self.book.tasks, now):
            await apply_due(due, self.book, self.subject, self.act)

    def holder(self, kind: str, default: str) -> str:
        """Who the oldest open task of a kind waits on (its role moves up when it escalates)."""
        roles = [t.candidate_role for _, t in sorted(self.book.tasks.items()) if t.kind == kind]
        return next((r for r in roles if r), default)

    def wake(self) -> None:
        """Let the main loop look again (a message changed what it waits on)."""
        self.dirty = True

    # ---- the stage on show ---------------------------------------------------------------------

    async def set_stage(self, stage: str, pending: str | None) -> None:
        """Persist a stage change (once per change) and show it to operators."""
        facts = self.facts
        if (stage, pending) == (facts.stage, facts.pending_on):
            return
        if self.attention.parked:
            # Shown and recorded when the stuck step moves again (needs_attention stays on show till then).
            facts.stage, facts.pending_on = stage, pending
            return
        if workflow.patched(STAGE_BEFORE_RECORD):
            # Known here before the row says so: a message validated in the activation that carries the
            # activity's result must not see the stage the database has already left.
            facts.stage, facts.pending_on = stage, pending
        self.stage_seq += 1
        await self.act(
            PurchasingActivities.set_stage,
            StageChange(
                number=facts.po.number,
                stage=stage,
                pending_on=pending,
                key=f"po:{facts.po.number}:stage:{self.stage_seq}",
            ),
        )
        self.show(stage, pending)

    def show(self, stage: str, pending: str | None, stuck: str | None = None) -> None:
        """Search attributes and current details: what stage, waiting on whom (or which step is stuck)."""
        facts = self.facts
        facts.stage, facts.pending_on = stage, pending
        if stuck:
            stage, pending = NEEDS_ATTENTION, "admin"
        workflow.upsert_search_attributes(
            [
                sa.STAGE.value_set(stage),
                sa.PENDING_ON.value_set(pending) if pending else sa.PENDING_ON.value_unset(),
            ]
        )
        waiting = f", waiting on {pending}" if pending else ""
        received = sum(facts.received.values(), Decimal(0))
        workflow.set_current_details(
            f"PO {facts.po.number} rev {facts.revision}: {stage}{waiting}; expected {facts.expected};"
            f" received {received} of {sum(ln.qty for ln in facts.lines.values())}"
            + (f"; {stuck}" if stuck else "")
        )

    async def show_attention(self, stuck: str | None) -> None:
        """A step is stuck (why) or moves again (None): ErpStage, details and the stage row show it."""
        facts = self.facts
        self.show(facts.stage, facts.pending_on, stuck)
        stage, pending = (NEEDS_ATTENTION, "admin") if stuck else (facts.stage, facts.pending_on)
        self.stage_seq += 1
        await workflow.execute_activity_method(
            PurchasingActivities.set_stage,
            StageChange(
                number=facts.po.number,
                stage=stage,
                pending_on=pending,
                key=f"po:{facts.po.number}:stage:{self.stage_seq}",
                reason=stuck[:500] if stuck else None,
            ),
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=retry.UNTIL_DONE,
        )

    async def finish(self, stage: str) -> str:
        """Cancel leftover tasks, close the PO row with its cycle time, and let handlers drain."""
        await self.close_tasks()
        now = workflow.now()
        cycle = int((now - workflow.info().start_time).total_seconds())
        await self.act(
            PurchasingActivities.close,
            CloseRequest(
                number=self.facts.po.number,
                stage=stage,
                closed_at=now,
                cycle_time_seconds=cycle,
                reason=self.facts.reason,
            ),
        )
        self.show(stage, None)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return stage
