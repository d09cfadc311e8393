"""Temporal Schedules of the month-end close: one per entity, created or updated idempotently."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text
from temporalio.client import Client, ScheduleBackfill, ScheduleOverlapPolicy

from erp.entity_schedules import EntitySchedule
from models.contracts.close import CloseInput, EntityInfo
from rules.periods import next_period, period_bounds
from workflows.close.month_end import MonthEndCloseWorkflow

# Day 1 at 00:05 local time closes the month before (Temporal's cron rejects `L`).
CRON = "5 0 1 * *"
FIRE_AT = time(0, 5)
CATCHUP = timedelta(days=3)


CLOSE = EntitySchedule(
    prefix="month-end-close",
    cron=CRON,
    catchup=CATCHUP,
    note="month-end close",
    workflow_run=MonthEndCloseWorkflow.run,
    # The close itself runs as child `Close-{entity}-{period}` of this launcher.
    make_input=lambda e: CloseInput(entity_code=e.entity_code, period=None, trigger="schedule"),
    launcher_id=lambda e: f"CloseLauncher-{e.entity_code}",
)

# What the CLI and the tests call: the schedule id of an entity, ensure one entity's schedule, ensure every one's.
schedule_id = CLOSE.schedule_id
ensure_schedule = CLOSE.ensure
ensure_schedules = CLOSE.ensure_all


def active_entities(engine: Engine) -> list[EntityInfo]:
    """Entities that close their books (not archived)."""
    with engine.connect() as c:
        rows = c.execute(
            text("SELECT id, code, currency, time_zone FROM entity WHERE NOT archived ORDER BY code")
        ).all()
    return [EntityInfo(entity_id=r[0], entity_code=r[1], currency=r[2], time_zone=r[3]) for r in rows]


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
