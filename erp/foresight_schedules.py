"""Temporal Schedules of the daily master-data quality check: one per entity, created or updated idempotently."""

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
from models.contracts.foresight import DataQualityInput
from workflows.foresight.data_quality import DataQualityCheckWorkflow

# Early morning local time, after the night's feeds and before people open their inbox.
CRON = "30 5 * * *"
# A missed day is not worth a burst of catch-up runs: the next check sees the same records.
CATCHUP = timedelta(hours=12)


def schedule_id(entity_code: str) -> str:
    """The schedule of one entity's data-quality check."""
    return f"data-quality-{entity_code}"


def data_quality_schedule(entity: EntityInfo, task_queue: str, paused: bool = False) -> Schedule:
    """Daily check in the entity's time zone; overlapping runs are skipped, a failing one pauses the schedule."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            DataQualityCheckWorkflow.run,
            DataQualityInput(entity_code=entity.entity_code, trigger="schedule"),
            # Temporal appends the fire time to this id.
            id=f"DataQuality-{entity.entity_code}",
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(cron_expressions=[CRON], time_zone_name=entity.time_zone),
        policy=SchedulePolicy(
            overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP, pause_on_failure=True
        ),
        state=ScheduleState(paused=paused, note=f"master-data quality of {entity.entity_code}"),
    )


async def ensure_schedule(client: Client, entity: EntityInfo, task_queue: str) -> str:
    """Create the entity's schedule, or bring an existing one up to date keeping an operator's pause."""
    sid = schedule_id(entity.entity_code)
    try:
        await client.create_schedule(sid, data_quality_schedule(entity, task_queue))
        return "created"
    except ScheduleAlreadyRunningError:

        def _update(current: ScheduleUpdateInput) -> ScheduleUpdate:
            paused = current.description.schedule.state.paused
            return ScheduleUpdate(schedule=data_quality_schedule(entity, task_queue, paused=paused))

        await client.get_schedule_handle(sid).update(_update)
        return "updated"


async def ensure_schedules(client: Client, entities: Sequence[EntityInfo], task_queue: str) -> dict[str, str]:
    """Ensure every entity's schedule; returns entity code -> created/updated."""
    return {e.entity_code: await ensure_schedule(client, e, task_queue) for e in entities}
