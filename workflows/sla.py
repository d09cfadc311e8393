"""Service-level clocks of a workflow's open tasks (deterministic, no I/O): the workflow asks when to wake
and what is due, and runs the reminders and escalations itself."""

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from models.contracts.purchasing import TaskSlaSnapshot
from rules.task_sla import SlaAction, SlaClock, TaskSla, due_at, next_moment, step


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
