"""Temporal Schedules of the month-end close: one per entity, created or updated idempotently."""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleBackfill,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from models.contracts.close import CloseInput, EntityInfo
from rules.periods import next_period, period_bounds
from workflows.close.month_end import MonthEndCloseWorkflow

# Day 1 at 00:05 local time closes the month before (Temporal's cron rejects `L`).
CRON = "5 0 1 * *"
FIRE_AT = time(0, 5)
CATCHUP = timedelta(days=3)


def schedule_id(entity_code: str) -> str:
    """The schedule of one entity's close."""
    return f"month-end-close-{entity_code}"


def close_schedule(entity: EntityInfo, task_queue: str, paused: bool = False) -> Schedule:
    """Monthly close of the previous period, in the entity's time zone; the run works out the period."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            MonthEndCloseWorkflow.run,
            CloseInput(entity_code=entity.entity_code, period=None, trigger="schedule"),
            # Temporal appends the fire time; the close itself runs as child `Close-{entity}-{period}`.
            id=f"CloseLauncher-{entity.entity_code}",
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(cron_expressions=[CRON], time_zone_name=entity.time_zone),
        policy=SchedulePolicy(
            overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP, pause_on_failure=True
        ),
        state=ScheduleState(paused=paused, note=f"month-end close of {entity.entity_code}"),
    )


async def ensure_schedule(client: Client, entity: EntityInfo, task_queue: str) -> str:
    """Create the entity's schedule, or bring an existing one up to date keeping an operator's pause."""
    sid = schedule_id(entity.entity_code)
    try:
        await client.create_schedule(sid, close_schedule(entity, task_queue))
        return "created"
    except ScheduleAlreadyRunningError:

        def _update(current: ScheduleUpdateInput) -> ScheduleUpdate:
            paused = current.description.schedule.state.paused
            return ScheduleUpdate(schedule=close_schedule(entity, task_queue, paused=paused))

        await client.get_schedule_handle(sid).update(_update)
        return "updated"


def active_entities(engine: Engine) -> list[EntityInfo]:
    """Entities that close their books (not archived)."""
    with engine.connect() as c:
        rows = c.execute(
            text("SELECT id, code, currency, time_zone FROM entity WHERE NOT archived ORDER BY code")
        ).all()
    return [EntityInfo(entity_id=r[0], entity_code=r[1], currency=r[2], time_zone=r[3]) for r in rows]


async def ensure_schedules(client: Client, entities: Sequence[EntityInfo], task_queue: str) -> dict[str, str]:
    """Ensure every entity's schedule; returns entity code -> created/updated."""
    return {e.entity_code: await ensure_schedule(client, e, task_queue) for e in entities}


def fire_time(entity: EntityInfo, period: str) -> datetime:
    """When the schedule fires for a period: day 1 of the next period at 00:05 in the entity's zone."""
    first_of_next: date = period_bounds(next_period(period))[0]
    return datetime.combine(first_of_next, FIRE_AT, tzinfo=ZoneInfo(entity.time_zone))


async def backfill(client: Client, entity: EntityInfo, first: str, last: str) -> None:
    """Run the schedule for past periods `first`..`last`: one close per period, side by side."""
    start = fire_time(entity, first) - timedelta(minutes=1)
    end = fire_time(entity, last) + timedelta(minutes=1)
    await client.get_schedule_handle(schedule_id(entity.entity_code)).backfill(
        # Periods are independent closes, so a backfill must not skip one that overlaps another.
        ScheduleBackfill(start_at=start, end_at=end, overlap=ScheduleOverlapPolicy.ALLOW_ALL)
    )
