"""Temporal Schedules of the daily master-data quality check: one per entity, created or updated idempotently."""

from collections.abc import Sequence
from datetime import timedelta

from temporalio.client import Client

from erp.entity_schedules import EntitySchedule
from models.contracts.close import EntityInfo
from models.contracts.foresight import DataQualityInput
from workflows.foresight.data_quality import DataQualityCheckWorkflow

# Early morning local time, after the night's feeds and before people open their inbox.
CRON = "30 5 * * *"
# A missed day is not worth a burst of catch-up runs: the next check sees the same records.
CATCHUP = timedelta(hours=12)


SCHEDULE = EntitySchedule(
    prefix="data-quality",
    cron=CRON,
    catchup=CATCHUP,
    note="master-data quality",
    workflow_run=DataQualityCheckWorkflow.run,
    make_input=lambda e: DataQualityInput(entity_code=e.entity_code, trigger="schedule"),
    launcher_id=lambda e: f"DataQuality-{e.entity_code}",
)


def schedule_id(entity_code: str) -> str:
    """The schedule of one entity's data-quality check."""
    return SCHEDULE.schedule_id(entity_code)


async def ensure_schedule(client: Client, entity: EntityInfo, task_queue: str) -> str:
    """Create or update the entity's data-quality check schedule (keeps an operator's pause)."""
    return await SCHEDULE.ensure(client, entity, task_queue)


async def ensure_schedules(client: Client, entities: Sequence[EntityInfo], task_queue: str) -> dict[str, str]:
    """Ensure every entity's data-quality check schedule; returns entity code -> created/updated."""
    return await SCHEDULE.ensure_all(client, entities, task_queue)
