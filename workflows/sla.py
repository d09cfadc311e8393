"""Service-level clocks of a workflow's open tasks (deterministic, no I/O): the workflow asks when to wake
and what is due, and runs the reminders and escalations itself."""

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from temporalio import workflow

from activities.tasks import TaskActivities
from models.contracts.tasks import AuditRecord, TaskEscalation, TaskSlaSnapshot
from rules.task_sla import SlaAction, SlaClock, TaskSla, due_at, next_moment, step
from workflows.inbox import TaskBook

A = TypeVar("A")
R = TypeVar("R")
# Tasks opened with a service level start a clock (histories recorded before it ran without timers).
TASK_SLA = "task-service-levels"


@dataclass(frozen=True, slots=True)
class SlaDue:
    """A reminder or escalation to run now; `clock` is where the task stands after it."""

    task_id: int
    action: SlaAction
    clock: SlaClock
    due: datetime


@dataclass
class SlaWatch:
    """The clocks of the open tasks whose kind has a service level."""

    slas: dict[str, TaskSla]
    clocks: dict[int, tuple[str, SlaClock]] = field(default_factory=dict)

    @classmethod
    def of(cls, snapshots: Mapping[str, TaskSlaSnapshot]) -> "SlaWatch":
        """From the service levels a document snapshotted at creation."""
        return cls({k: TaskSla(s.hours, s.remind_pct, s.escalate_to) for k, s in snapshots.items()})

    def first_due(self, kind: str, now: datetime) -> datetime | None:
        """The due date of a task of this kind opened now (None: the kind has no service level)."""
        sla = self.slas.get(kind)
        return None if sla is None else now + timedelta(hours=sla.hours)

    def watch_opened(self, task_id: int, kind: str, role: str | None, sla: TaskSlaSnapshot | None) -> None:
        """Start the clock of a task just opened with its kind's service level (none: no clock)."""
        if sla is None or not workflow.patched(TASK_SLA):
            return
        self.slas[kind] = TaskSla(sla.hours, sla.remind_pct, sla.escalate_to)
        self.watch(task_id, kind, role, workflow.now())

    def watch(self, task_id: int, kind: str, role: str | None, now: datetime) -> None:
        """Start the clock of a task just opened."""
        if kind in self.slas:
            self.clocks[task_id] = (kind, SlaClock(period_start=now, role=role))

    def next_moment(self, open_ids: Collection[int]) -> datetime | None:
        """The earliest moment any open task's clock needs a look (clocks of closed tasks are dropped)."""
        self._drop_closed(open_ids)
        moments = [next_moment(self.slas[kind], clock) for kind, clock in self.clocks.values()]
        return min(moments) if moments else None

    def due(self, open_ids: Collection[int], now: datetime) -> list[SlaDue]:
        """Everything due by `now`, oldest task first; the clocks move on as if it has been done."""
        self._drop_closed(open_ids)
        out: list[SlaDue] = []
        for task_id in sorted(self.clocks):
            kind, clock = self.clocks[task_id]
            sla = self.slas[kind]
            while True:
                action, clock = step(sla, clock, now)
                if action is None:
                    break
                out.append(SlaDue(task_id, action, clock, due_at(sla, clock)))
            self.clocks[task_id] = (kind, clock)
        return out

    def _drop_closed(self, open_ids: Collection[int]) -> None:
        for task_id in [t for t in self.clocks if t not in open_ids]:
            del self.clocks[task_id]


@dataclass(frozen=True, slots=True)
class Subject:
    """The document whose tasks are watched (for the audit trail)."""

    subject_type: str
    subject_id: str
    entity_id: int


class Runner(Protocol):
    """A workflow's way of running an activity (its retries, its needs-attention guard)."""

    def __call__(self, fn: Callable[[Any, A], R], arg: A) -> Any:
        """Run `fn(arg)` as an activity; awaitable, returning its result."""


async def apply_due(due: SlaDue, book: TaskBook, subject: Subject, act: Runner) -> None:
    """Run a reminder (audited) or an escalation: the task moves to the kind's escalation role, which may
    decide it from then on, and the inbox shows the new holder and due date."""
    task = book.tasks[due.task_id]
    waiting_on = task.candidate_role or task.candidate_user
    if due.action == "remind":
        key = f"task:{task.task_id}:sla:{due.clock.escalations}:{due.clock.period_start.isoformat()}"
        after = {"task_id": task.task_id, "kind": task.kind, "waiting_on": waiting_on}
        await act(TaskActivities.record_audit, _audit(subject, key, "task.reminder", after))
        return
    task.escalation_level += 1
    task.candidate_role, task.candidate_user = due.clock.role, None
    await act(
        TaskActivities.escalate_task,
        TaskEscalation(
            task_id=task.task_id,
            candidate_role=due.clock.role,
            escalation_level=task.escalation_level,
            due_at=due.due,
        ),
    )
    key = f"task:{task.task_id}:escalated:{task.escalation_level}"
    after = {"task_id": task.task_id, "kind": task.kind, "from": waiting_on, "to": due.clock.role}
    await act(TaskActivities.record_audit, _audit(subject, key, "task.escalated", after))


def _audit(subject: Subject, key: str, action: str, after: dict[str, Any]) -> AuditRecord:
    return AuditRecord(
        idempotency_key=key,
        actor="system",
        action=action,
        subject_type=subject.subject_type,
        subject_id=subject.subject_id,
        entity_id=subject.entity_id,
        after=after,
    )


async def wait_with_sla(
    done: Callable[[], bool], watch: SlaWatch, book: TaskBook, subject: Subject, act: Runner
) -> None:
    """Wait until `done`, waking for the watched tasks' reminders and escalations on the way.

    Without clocks this is a plain wait_condition (no timer), as before service levels existed.
    """
    while not done():
        moment = watch.next_moment(book.tasks)
        if moment is None:
            # A handler may open a watched task meanwhile: its clock starts the timers.
            await workflow.wait_condition(lambda: done() or bool(watch.clocks))
            continue
        try:
            await workflow.wait_condition(done, timeout=max(moment - workflow.now(), timedelta(0)))
        except TimeoutError:
            for due in watch.due(book.tasks, workflow.now()):
                if due.task_id in book.tasks:
                    await apply_due(due, book, subject, act)
