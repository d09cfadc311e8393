"""Temporal Schedules of the daily replenishment: one per entity, created or updated idempotently."""

from collections.abc import Sequence
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from models.contracts.close import EntityInfo
from models.contracts.replenishment import ReplenishmentRunInput
from workflows.replenishment.daily_run import ReplenishmentRunWorkflow

# 03:30 local: after the night's sales are shipped and before buyers start their day.
CRON = "30 3 * * *"
# A missed day is still worth running the same day; older ones are superseded by the next run.
CATCHUP = timedelta(hours=12)


def schedule_id(entity_code: str) -> str:
    """The schedule of one entity's replenishment."""
    return f"replenishment-{entity_code}"


def replenishment_schedule(entity: EntityInfo, task_queue: str, paused: bool = False) -> Schedule:
    """Daily run in the entity's time zone; the launcher works out the day and starts `Replenish-{e}-{day}`."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            ReplenishmentRunWorkflow.run,
            ReplenishmentRunInput(entity_code=entity.entity_code, run_date=None, trigger="schedule"),
            id=f"ReplenishLauncher-{entity.entity_code}",
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(cron_expressions=[CRON], time_zone_name=entity.time_zone),
        policy=SchedulePolicy(
            overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP, pause_on_failure=True
        ),
        state=ScheduleState(paused=paused, note=f"daily replenishment of {entity.entity_code}"),
    )


async def ensure_schedule(client: Client, entity: EntityInfo, task_queue: str) -> str:
    """Create the entity's schedule, or bring an existing one up to date keeping an operator's pause."""
    sid = schedule_id(entity.entity_code)
    try:
        await client.create_schedule(sid, replenishment_schedule(entity, task_queue))
        return "created"
    except ScheduleAlreadyRunningError:

        def _update(current: ScheduleUpdateInput) -> ScheduleUpdate:
            paused = current.description.schedule.state.paused
            return ScheduleUpdate(schedule=replenishment_schedule(entity, task_queue, paused=paused))

        await client.get_schedule_handle(sid).update(_update)
        return "updated"


async def ensure_schedules(client: Client, entities: Sequence[EntityInfo], task_queue: str) -> dict[str, str]:
    """Ensure every entity's schedule; returns entity code -> created/updated."""
    return {e.entity_code: await ensure_schedule(client, e, task_queue) for e in entities}
