"""Temporal Schedules of the daily replenishment: one per entity, created or updated idempotently."""

from collections.abc import Sequence
from datetime import timedelta

from temporalio.client import Client

from erp.entity_schedules import EntitySchedule
from models.contracts.close import EntityInfo
from models.contracts.replenishment import ReplenishmentRunInput
from workflows.replenishment.daily_run import ReplenishmentRunWorkflow

# 03:30 local: after the night's sales are shipped and before buyers start their day.
CRON = "30 3 * * *"
# A missed day is still worth running the same day; older ones are superseded by the next run.
CATCHUP = timedelta(hours=12)


SCHEDULE = EntitySchedule(
    prefix="replenishment",
    cron=CRON,
    catchup=CATCHUP,
    note="daily replenishment",
    workflow_run=ReplenishmentRunWorkflow.run,
    make_input=lambda e: ReplenishmentRunInput(entity_code=e.entity_code, run_date=None, trigger="schedule"),
    launcher_id=lambda e: f"ReplenishLauncher-{e.entity_code}",
)


def schedule_id(entity_code: str) -> str:
    """The schedule of one entity's replenishment."""
    return SCHEDULE.schedule_id(entity_code)


async def ensure_schedule(client: Client, entity: EntityInfo, task_queue: str) -> str:
    """Create or update the entity's replenishment schedule (keeps an operator's pause)."""
    return await SCHEDULE.ensure(client, entity, task_queue)


async def ensure_schedules(client: Client, entities: Sequence[EntityInfo], task_queue: str) -> dict[str, str]:
    """Ensure every entity's replenishment schedule; returns entity code -> created/updated."""
    return await SCHEDULE.ensure_all(client, entities, task_queue)
