"""Temporal Schedules of the daily master-data quality check: one per entity, created or updated idempotently."""

from datetime import timedelta

from erp.entity_schedules import EntitySchedule
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

# What the CLI and the tests call: the schedule id of an entity, ensure one entity's schedule, ensure every one's.
schedule_id = SCHEDULE.schedule_id
ensure_schedule = SCHEDULE.ensure
ensure_schedules = SCHEDULE.ensure_all
