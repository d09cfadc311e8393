"""A match exception lands with the AP clerks on Monday 09:00 with a 48-hour service level: reminded on
Tuesday 09:00, escalated to the controller on Wednesday 09:00, then reminded every two days."""

from datetime import UTC, datetime, timedelta

import pytest

from rules.errors import RuleViolation
from rules.task_sla import SlaClock, TaskSla, due_at, next_moment, step

MONDAY = datetime(2026, 11, 2, 9, tzinfo=UTC)
SLA = TaskSla(hours=48, remind_pct=50, escalate_to="controller")
H = timedelta(hours=1)


def test_reminder_then_escalation_then_reminders_at_the_top() -> None:
    clock = SlaClock(period_start=MONDAY, role="ap_clerk")
    assert next_moment(SLA, clock) == MONDAY + 24 * H
    assert step(SLA, clock, MONDAY + 23 * H) == (None, clock)

    action, clock = step(SLA, clock, MONDAY + 24 * H)
    assert action == "remind" and clock.reminded and clock.role == "ap_clerk"
    assert next_moment(SLA, clock) == MONDAY + 48 * H
    assert step(SLA, clock, MONDAY + 47 * H)[0] is None

    action, clock = step(SLA, clock, MONDAY + 48 * H)
    assert action == "escalate" and clock.role == "controller" and clock.escalations == 1
    assert due_at(SLA, clock) == MONDAY + 96 * H  # the controller gets a full period

    action, clock = step(SLA, clock, MONDAY + 72 * H)
    assert action == "remind"
    action, clock = step(SLA, clock, MONDAY + 96 * H)
    # Nobody above the controller: a new period and another reminder, never a silent wait.
    assert action == "remind" and clock.role == "controller" and clock.escalations == 1
    assert clock.period_start == MONDAY + 96 * H


def test_without_an_escalation_target_it_keeps_reminding() -> None:
    sla = TaskSla(hours=10, remind_pct=80)
    clock = SlaClock(period_start=MONDAY, role="buyer")
    assert next_moment(sla, clock) == MONDAY + 8 * H
    action, clock = step(sla, clock, MONDAY + 8 * H)
    action, clock = step(sla, clock, MONDAY + 10 * H)
    assert action == "remind" and clock.role == "buyer" and clock.period_start == MONDAY + 10 * H


def test_a_service_level_that_cannot_work_is_refused() -> None:
    with pytest.raises(RuleViolation) as exc:
        TaskSla(hours=0)
    assert exc.value.field == "sla_hours"
    with pytest.raises(RuleViolation) as exc:
        TaskSla(hours=4, remind_pct=100)
    assert exc.value.field == "remind_pct"
