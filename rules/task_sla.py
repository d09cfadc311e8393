"""Service levels of human tasks: when an open task is reminded and when it escalates (plain data)."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from rules.errors import RuleViolation

SlaAction = Literal["remind", "escalate"]
# Task kinds with a service level in task_sla (PO approvals keep theirs in approval_setting).
SLA_KINDS = (
    "match_exception",
    "supplier_delay",
    "po_revision",
    "return_approval",
    "backorder",
    "fulfillment_exception",
    "replenishment_review",
    "needs_attention",
    "close_difference",
    "close_signoff",
)


@dataclass(frozen=True, slots=True)
class TaskSla:
    """A task kind's service level: answered within `hours`, reminded at `remind_pct` % of them, then
    moved to `escalate_to` (None: nobody above, keep reminding every period)."""

    hours: int
    remind_pct: int = 50
    escalate_to: str | None = None

    def __post_init__(self) -> None:
        """Refuse a service level that could never fire or would fire in a loop."""
        if self.hours <= 0:
            raise RuleViolation("sla_hours", f"must be positive, got {self.hours}")
        if not 0 < self.remind_pct < 100:
            raise RuleViolation("remind_pct", f"must be between 1 and 99, got {self.remind_pct}")


@dataclass(frozen=True, slots=True)
class SlaClock:
    """Where one open task stands: the current period's start, whether it was reminded in it, who holds it."""

    period_start: datetime
    role: str | None
    reminded: bool = False
    escalations: int = 0


def next_moment(sla: TaskSla, clock: SlaClock) -> datetime:
    """When the clock next needs a look: the reminder of this period, else its end."""
    period = timedelta(hours=sla.hours)
    if not clock.reminded:
        return clock.period_start + period * sla.remind_pct / 100
    return clock.period_start + period


def due_at(sla: TaskSla, clock: SlaClock) -> datetime:
    """When the current holder's period ends (the inbox shows it as the task's due date)."""
    return clock.period_start + timedelta(hours=sla.hours)


def step(sla: TaskSla, clock: SlaClock, now: datetime) -> tuple[SlaAction | None, SlaClock]:
    """What is due at `now`, and the clock after it.

    In a period: the reminder at `remind_pct`, then at the end an escalation to `escalate_to` (once: the
    holder becomes that role and a new period starts). Already there, or nobody to escalate to: a new
    period starts with another reminder, so an overdue task is never forgotten.
    """
    if now < next_moment(sla, clock):
        return None, clock
    if not clock.reminded:
        return "remind", replace(clock, reminded=True)
    fresh = SlaClock(period_start=now, role=clock.role, escalations=clock.escalations)
    if sla.escalate_to is not None and clock.role != sla.escalate_to:
        return "escalate", replace(fresh, role=sla.escalate_to, escalations=clock.escalations + 1)
    return "remind", replace(fresh, reminded=True)
